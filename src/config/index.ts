// Configuration: one frozen, validated object from defaults, a JSON file, VWC_* environment
// variables and command-line flags. See docs/config.md.
export type {
  Config,
  DiscoveryMode,
  FleetConfig,
  FleetEntryConfig,
  FleetEntryHostConfig,
  FleetHostConfig,
  ListenAddress,
  LogLevel,
  MetricsConfig,
  SerialLogConfig,
  VncRecordingConfig,
  SlowClientPolicy,
  SessionsConfig,
  SshConfig,
  ThumbnailsConfig,
  UserPolicy,
  VncInputLock,
} from './types.js';
export {
  loadConfig,
  parseListen,
  parseSshListen,
  DEFAULT_SSH_PORT,
  DEFAULT_AUTHORIZED_KEYS,
  DEFAULT_CONFIG_FILE,
  DEFAULT_USERS_FILE,
  DEFAULT_STATE_DIR,
  ENV_VARS,
  FLAG_NAMES,
  FLAGS,
  CONFIG_FLAG,
} from './load.js';
export type { FlagHelp, LoadOptions } from './load.js';
export { configWarnings } from './warnings.js';
export { packageRoot, packageVersion } from './package.js';
