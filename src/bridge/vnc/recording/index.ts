// VNC session recording (docs/vnc.md "Recording"): the daemon's own silent RFB connection per
// recorded VM, its server→client stream with arrival times in a file per recording, retention,
// and the state every viewer of the console is shown.
export {
  DEFAULT_RECORDING_OPTIONS,
  VncRecordings,
  type RecordingState,
  type RecordingSummary,
  type VncRecordingOptions,
  type VncRecordingsDeps,
} from './recordings.js';
export {
  RECORDING_EXTENSION,
  RECORDING_MAGIC,
  decodeRecording,
  isRecordingId,
  type DecodedRecording,
  type RecordingEvent,
  type RecordingRecord,
} from './format.js';
export { PLAYBACK_HANDSHAKE, RecorderHandshake, NOVNC_PIXEL_FORMAT } from './handshake.js';
