// List-page thumbnails (docs/control.md): capture a VM's screen through libvirt or QEMU, convert
// it to a small PNG, keep it per VM with an ETag; the serial tail for VMs without a screen.
export { parsePpm, type RgbImage } from './ppm.js';
export {
  decodeCapture,
  downscale,
  encodePng,
  passesThrough,
  PASS_THROUGH_BYTES,
  toThumbnail,
} from './convert.js';
export { canCaptureScreen, createScreenCapturer, type CaptureDeps, type ScreenCapturer } from './capture.js';
export {
  createThumbnailService,
  type Thumbnail,
  type ThumbnailService,
  type ThumbnailServiceDeps,
} from './service.js';
export { serialTailLines, SERIAL_TAIL_BYTES } from './serial-tail.js';
export { createThumbnails, type Thumbnails, type ThumbnailsDeps } from './thumbnails.js';
