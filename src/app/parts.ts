// The real parts of the daemon: discovery (src/discovery) and the console hub (src/bridge).
import { VwcError } from '../errors/index.js';
import type { DaemonParts } from './daemon.js';

function notWired(part: string): never {
  throw new VwcError('VWC_ERR_INTERNAL', `${part} is not wired into the daemon yet`);
}

export const realParts: DaemonParts = {
  createDiscovery: () => notWired('discovery'),
  createHub: () => notWired('the console hub'),
};
