export { PortLog, type PortLogOptions, type SavedHistory } from './port-log.js';
export {
  DEFAULT_SERIAL_LOG_OPTIONS,
  SerialLogStore,
  domainFolder,
  type SerialLogOptions,
  type SerialLogStoreDeps,
} from './store.js';
export { decodeSegment, segmentName, type LogEvent, type LogRecord } from './records.js';
