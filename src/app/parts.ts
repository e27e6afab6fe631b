// The real parts of the daemon: discovery (src/discovery) and the console hub (src/bridge),
// configured from Config.
import { createConsoleHub } from '../bridge/index.js';
import { createDiscovery } from '../discovery/index.js';
import type { DaemonParts } from './daemon.js';
import { filterRegistry } from './filter-registry.js';

export const realParts: DaemonParts = {
  createDiscovery: (config, logger) => {
    const discovery = createDiscovery({
      logger,
      uri: config.libvirt.uri,
      libvirt: config.discovery.mode !== 'socket-folder',
      reconcileMs: config.discovery.reconcileSeconds * 1000,
      socketFolders: config.discovery.mode === 'libvirt' ? [] : config.discovery.socketFolders,
    });
    return {
      registry: filterRegistry(discovery.registry, config.discovery.include),
      start: () => discovery.start(),
      stop: () => discovery.stop(),
    };
  },
  createHub: (config, registry, logger) =>
    createConsoleHub({
      registry,
      logger,
      serial: { ...config.serial },
      vncOptions: { maxViewersPerVm: config.vnc.maxViewersPerVm, maxFrameBytes: 1024 * 1024 },
    }),
};
