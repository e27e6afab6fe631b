// A captured screen (PPM from QEMU, or PNG where libvirt hands one over) → a small PNG for the
// list page. Pure CPU work: decode, box-filter down to the thumbnail width, encode with pngjs;
// except that a PNG capture already small in bytes goes out as it is (see PASS_THROUGH_BYTES).
import pngjs from 'pngjs';
import { VwcError } from '../../errors/index.js';
import { parsePpm, type RgbImage } from './ppm.js';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The capture as RGB, whichever format it came in. */
export function decodeCapture(data: Buffer): RgbImage {
  if (data.subarray(0, 8).equals(PNG_MAGIC)) {
    let png: pngjs.PNG;
    try {
      png = pngjs.PNG.sync.read(data);
    } catch (error) {
      throw new VwcError('VWC_ERR_THUMBNAIL_FAILED', 'not a readable PNG screenshot', { cause: error });
    }
    const rgb = Buffer.allocUnsafe(png.width * png.height * 3);
    for (let i = 0, o = 0; o < rgb.length; i += 4, o += 3) {
      rgb[o] = png.data[i]!;
      rgb[o + 1] = png.data[i + 1]!;
      rgb[o + 2] = png.data[i + 2]!;
    }
    return { width: png.width, height: png.height, rgb };
  }
  return parsePpm(data);
}

/**
 * Shrinks `image` to `width` pixels wide (never enlarges) by averaging each output pixel's
 * source box: text stays readable as grey shapes instead of the broken strokes of sampling.
 */
export function downscale(image: RgbImage, width: number): RgbImage {
  if (image.width <= width) return image;
  const outW = width;
  const outH = Math.max(1, Math.round((image.height * width) / image.width));
  const xStart = new Uint32Array(outW + 1);
  for (let x = 0; x <= outW; x++) xStart[x] = Math.floor((x * image.width) / outW);
  const sums = new Uint32Array(outW * 3);
  const out = Buffer.allocUnsafe(outW * outH * 3);
  const src = image.rgb;
  const rowBytes = image.width * 3;
  for (let y = 0; y < outH; y++) {
    const y0 = Math.floor((y * image.height) / outH);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * image.height) / outH));
    sums.fill(0);
    for (let sy = y0; sy < y1; sy++) {
      const row = sy * rowBytes;
      for (let x = 0; x < outW; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let sx = xStart[x]!, end = xStart[x + 1]!; sx < end; sx++) {
          const p = row + sx * 3;
          r += src[p]!;
          g += src[p + 1]!;
          b += src[p + 2]!;
        }
        sums[x * 3] = sums[x * 3]! + r;
        sums[x * 3 + 1] = sums[x * 3 + 1]! + g;
        sums[x * 3 + 2] = sums[x * 3 + 2]! + b;
      }
    }
    const rows = y1 - y0;
    const line = y * outW * 3;
    for (let x = 0; x < outW; x++) {
      const n = rows * (xStart[x + 1]! - xStart[x]!);
      out[line + x * 3] = Math.round(sums[x * 3]! / n);
      out[line + x * 3 + 1] = Math.round(sums[x * 3 + 1]! / n);
      out[line + x * 3 + 2] = Math.round(sums[x * 3 + 2]! / n);
    }
  }
  return { width: outW, height: outH, rgb: out };
}

/**
 * RGB → PNG. No row filter instead of pngjs's try-all-five, zlib level 6 instead of 9: about
 * 1 ms instead of 5 for a 320-pixel thumbnail of a text console, at a similar size (measured;
 * console screens are flat colour, which filters do not help).
 */
export function encodePng(image: RgbImage): Buffer {
  const png = new pngjs.PNG({ width: image.width, height: image.height });
  png.data = image.rgb;
  return pngjs.PNG.sync.write(png, {
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
    filterType: 0,
    deflateLevel: 6,
  });
}

/**
 * A PNG capture this small (QEMU's PNG of a text console or a quiet desktop: a few KiB to a few
 * tens) is sent as QEMU wrote it: decoding, scaling and encoding it again would cost the daemon
 * more CPU than the bytes it saves, and the page draws every thumbnail 160 pixels wide anyway.
 * A larger one (a busy high-resolution desktop) is scaled down to the thumbnail width.
 */
export const PASS_THROUGH_BYTES = 64 * 1024;

const MAX_SIDE = 16_384;

/** Whether `capture` is a PNG (with a sane IHDR first, as the format requires) that goes to browsers unchanged. */
export function passesThrough(capture: Buffer): boolean {
  if (capture.length > PASS_THROUGH_BYTES || capture.length < 33) return false;
  if (!capture.subarray(0, 8).equals(PNG_MAGIC)) return false;
  if (capture.readUInt32BE(8) !== 13 || capture.toString('latin1', 12, 16) !== 'IHDR') return false;
  const width = capture.readUInt32BE(16);
  const height = capture.readUInt32BE(20);
  return width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE;
}

/** A capture (PPM or PNG bytes) → a PNG at most `width` pixels wide, or the small PNG itself. */
export function toThumbnail(capture: Buffer, width: number): Buffer {
  if (passesThrough(capture)) return capture;
  return encodePng(downscale(decodeCapture(capture), width));
}
