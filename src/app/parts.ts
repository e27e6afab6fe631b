// The real parts of the daemon: discovery (src/discovery) and the console hub (src/bridge),
// configured from Config.
import path from 'node:path';
import { SerialLogStore, createConsoleHub } from '../bridge/index.js';
import { createPowerControl } from '../control/index.js';
import { createThumbnails } from '../control/thumbnails/index.js';
import {
  createDiscovery,
  createVirshRunner,
  createVirshShellRunner,
  createVncPasswordLookup,
} from '../discovery/index.js';
import type { DaemonParts } from './daemon.js';
import { filterRegistry } from './filter-registry.js';
import { vncInputLock } from './vnc-input-lock.js';
import { vncRecordingOptions } from './vnc-recording.js';

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
  createHub: (config, registry, logger, hooks) =>
    createConsoleHub({
      registry,
      logger,
      ...(hooks?.onSerialResync ? { onSerialResync: hooks.onSerialResync } : {}),
      ...(config.serialLog.enabled
        ? {
            serialLogStore: new SerialLogStore(
              path.join(config.stateDir, 'serial-logs'),
              {
                flushMs: config.serialLog.flushMs,
                maxBytes: config.serialLog.maxBytesPerPort,
                segmentBytes: Math.min(4 * 1024 * 1024, Math.floor(config.serialLog.maxBytesPerPort / 4)),
                maxTotalBytes: config.serialLog.maxTotalBytes,
                maxAgeMs: config.serialLog.maxAgeDays * 24 * 3600 * 1000,
              },
              {
                logger: logger.child({ component: 'serial-log' }),
                ...(hooks?.onSerialLogWriting ? { onWritingChange: hooks.onSerialLogWriting } : {}),
              },
            ),
          }
        : {}),
      ...(config.vncRecording.enabled
        ? {
            vncRecording: {
              root: path.join(config.stateDir, 'vnc-recordings'),
              options: vncRecordingOptions(config.vncRecording),
              vncPassword: createVncPasswordLookup({ virsh: createVirshRunner({ uri: config.libvirt.uri }) }),
            },
          }
        : {}),
      serial: { ...config.serial },
      vncOptions: {
        maxViewersPerVm: config.vnc.maxViewersPerVm,
        maxFrameBytes: 1024 * 1024,
        inputLock: vncInputLock(config.vnc),
      },
    }),
  createPower: (config) => {
    // A runner of its own (same code as discovery's): its cancel-on-stop ends actions under way.
    const virsh = createVirshRunner({ uri: config.libvirt.uri });
    return {
      ...createPowerControl({ virsh }),
      stop: () => {
        virsh.cancelAll();
      },
    };
  },
  createThumbnails: (config, registry, onCapture) =>
    createThumbnails({
      // Running shells, not a virsh per capture: a process per capture cost a core at 200 VMs.
      virsh: createVirshShellRunner({ uri: config.libvirt.uri, shells: config.thumbnails.maxConcurrent }),
      registry,
      ...config.thumbnails,
      ...(onCapture ? { onCapture } : {}),
    }),
};
