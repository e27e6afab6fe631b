// Binary PPM (P6), what QEMU's screendump writes by default and `virsh screenshot` saves: a text
// header `P6 <width> <height> <maxval>` (with `#` comments) and then width*height RGB samples.
// Pure: a buffer in, pixels or a typed error out.
import { VwcError } from '../../errors/index.js';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width*height*3 bytes, row by row, 8 bits per sample. */
  readonly rgb: Buffer;
}

/** Larger than any screen QEMU draws (its VGA tops out at 16384 per side); a guard, not a limit. */
const MAX_SIDE = 16_384;

function bad(why: string): VwcError {
  return new VwcError('VWC_ERR_THUMBNAIL_FAILED', `not a readable PPM screenshot: ${why}`);
}

const isSpace = (byte: number | undefined): boolean =>
  byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b || byte === 0x0c;

/** Reads a P6 image; throws VWC_ERR_THUMBNAIL_FAILED for anything else or a short file. */
export function parsePpm(data: Buffer): RgbImage {
  if (data.length < 2 || data[0] !== 0x50 || data[1] !== 0x36) throw bad('no P6 magic');
  let at = 2;
  const numbers: number[] = [];
  while (numbers.length < 3) {
    // Whitespace and comments between the header's fields.
    while (at < data.length && (isSpace(data[at]) || data[at] === 0x23)) {
      if (data[at] === 0x23) while (at < data.length && data[at] !== 0x0a) at++;
      else at++;
    }
    const begin = at;
    while (at < data.length && data[at]! >= 0x30 && data[at]! <= 0x39 && at - begin < 6) at++;
    if (at === begin) throw bad(at >= data.length ? 'header cut short' : 'header field is not a number');
    numbers.push(Number(data.toString('latin1', begin, at)));
  }
  // Exactly one whitespace byte ends the header; the samples follow.
  if (!isSpace(data[at])) throw bad('header field too long or not followed by whitespace');
  at++;
  const [width, height, maxval] = numbers as [number, number, number];
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw bad(`size ${width}x${height} out of range`);
  }
  if (maxval < 1 || maxval > 65_535) throw bad(`maxval ${maxval} out of range`);
  const bytesPerSample = maxval < 256 ? 1 : 2;
  const samples = width * height * 3;
  if (data.length - at < samples * bytesPerSample) {
    throw bad(`truncated: ${data.length - at} bytes of pixels, ${samples * bytesPerSample} expected`);
  }
  if (bytesPerSample === 1 && maxval === 255) {
    return { width, height, rgb: data.subarray(at, at + samples) };
  }
  // Rare (QEMU writes 255): scale to 8 bits.
  const rgb = Buffer.allocUnsafe(samples);
  for (let i = 0; i < samples; i++) {
    const value = bytesPerSample === 1 ? data[at + i]! : data.readUInt16BE(at + i * 2);
    rgb[i] = Math.round((value * 255) / maxval);
  }
  return { width, height, rgb };
}
