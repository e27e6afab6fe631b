// The relay core shared by the console bridges: WebSocket binary frames written straight on the
// socket under a browser's WebSocket, with the kernel's backpressure (see frames.ts).
export { BrowserFrames, FRAME_HEADROOM, wsFrame } from './frames.js';
