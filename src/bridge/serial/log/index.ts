export { PortLog, type PortLogOptions, type SavedHistory } from './port-log.js';
export {
  DEFAULT_SERIAL_LOG_OPTIONS,
  SerialLogStore,
  domainFolder,
  readPortLog,
  type LogRange,
  type SerialLogOptions,
  type SerialLogStoreDeps,
} from './store.js';
export { decodeSegment, segmentName, type LogEvent, type LogRecord } from './records.js';
export { LOG_FORMATS, LogExporter, describeEvent, type ExportOptions, type LogFormat } from './export.js';
