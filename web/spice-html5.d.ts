// The part of spice-html5 (@spice-project/spice-html5 0.2.1, src/main.js) the console page uses;
// the package ships no type declarations.
declare module '@spice-project/spice-html5/src/main.js' {
  export interface SpiceMainConnOptions {
    uri: string;
    password: string;
    /** id of the element the screen's canvas is put in. */
    screen_id: string;
    message_id?: string;
    onerror?: (error: Error) => void;
    onsuccess?: (message: string) => void;
    onagent?: (sc: SpiceMainConn) => void;
  }
  export interface SpiceChannel {
    state: string;
    ws: WebSocket;
    send_msg(msg: { buffer_size(): number; to_buffer(buffer: ArrayBuffer): void }): void;
  }
  export class SpiceMainConn {
    constructor(options: SpiceMainConnOptions);
    ws: WebSocket;
    state: string;
    inputs?: SpiceChannel;
    stop(): void;
  }
}
