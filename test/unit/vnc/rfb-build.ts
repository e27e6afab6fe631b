// Builders for RFB client→server bytes, shaped like what noVNC sends (core/rfb.js RFB.messages),
// for the filter's unit tests and the integration tests' RFB client.

export function version(minor: 3 | 7 | 8): Buffer {
  return Buffer.from(`RFB 003.00${minor}\n`, 'latin1');
}

export function setPixelFormat(): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0;
  b[4] = 32; // bits per pixel
  b[5] = 24; // depth
  b[6] = 0; // little endian
  b[7] = 1; // true colour
  b.writeUInt16BE(255, 8);
  b.writeUInt16BE(255, 10);
  b.writeUInt16BE(255, 12);
  b[14] = 16;
  b[15] = 8;
  b[16] = 0;
  return b;
}

export function setEncodings(encodings: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * encodings.length);
  b[0] = 2;
  b.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, k) => b.writeInt32BE(e, 4 + 4 * k));
  return b;
}

export function updateRequest(incremental: boolean, w = 640, h = 480): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 3;
  b[1] = incremental ? 1 : 0;
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return b;
}

export function keyEvent(keysym: number, down: boolean): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 4;
  b[1] = down ? 1 : 0;
  b.writeUInt32BE(keysym, 4);
  return b;
}

export function qemuKeyEvent(keysym: number, down: boolean, keycode: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 255;
  b[1] = 0;
  b.writeUInt16BE(down ? 1 : 0, 2);
  b.writeUInt32BE(keysym, 4);
  b.writeUInt32BE(keycode, 8);
  return b;
}

export function pointerEvent(x: number, y: number, mask: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 5;
  b[1] = mask;
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  return b;
}

export function cutText(text: string): Buffer {
  const data = Buffer.from(text, 'latin1');
  const b = Buffer.alloc(8);
  b[0] = 6;
  b.writeInt32BE(data.length, 4);
  return Buffer.concat([b, data]);
}

/** The extended-clipboard form: a negative length, then |length| bytes (flags + payload). */
export function extendedCutText(payload: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 6;
  b.writeInt32BE(-payload.length, 4);
  return Buffer.concat([b, payload]);
}

export function fence(flags: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 248;
  b.writeUInt32BE(flags, 4);
  b[8] = payload.length;
  return Buffer.concat([b, payload]);
}

export function enableContinuousUpdates(enable: boolean): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 150;
  b[1] = enable ? 1 : 0;
  b.writeUInt16BE(640, 6);
  b.writeUInt16BE(480, 8);
  return b;
}

export function setDesktopSize(w: number, h: number, screens: number): Buffer {
  const b = Buffer.alloc(8 + 16 * screens);
  b[0] = 251;
  b.writeUInt16BE(w, 2);
  b.writeUInt16BE(h, 4);
  b[6] = screens;
  return b;
}

export function xvp(op: number): Buffer {
  return Buffer.of(250, 0, 1, op);
}

export function gii(payload: Buffer, bigEndian: boolean): Buffer {
  const b = Buffer.alloc(4);
  b[0] = 253;
  b[1] = bigEndian ? 0x80 : 0;
  if (bigEndian) b.writeUInt16BE(payload.length, 2);
  else b.writeUInt16LE(payload.length, 2);
  return Buffer.concat([b, payload]);
}

export function qemuAudio(operation: 0 | 1 | 2): Buffer {
  const b = Buffer.alloc(operation === 2 ? 10 : 4);
  b[0] = 255;
  b[1] = 1;
  b.writeUInt16BE(operation, 2);
  if (operation === 2) {
    b[4] = 3;
    b[5] = 2;
    b.writeUInt32BE(44100, 6);
  }
  return b;
}

/** X11 keysyms for typing plain ASCII (printable characters are their own keysym). */
export function keysymFor(char: string): number {
  if (char === '\n' || char === '\r') return 0xff0d; // Return
  return char.charCodeAt(0);
}
