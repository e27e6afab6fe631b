// The daemon's composition root and the `virt-webconsole` subcommands.
export { startDaemon, SHUTDOWN_REASON, type Daemon, type DaemonParts, type Discovery } from './daemon.js';
export { runCli, runServe, runPasswd, runCheckConfig, type CommandIo, type ServeDeps } from './commands.js';
