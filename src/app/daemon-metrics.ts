// The metrics wiring (docs/metrics.md): what each part is handed to count with, and the /metrics
// route. With `metrics.enabled` false every hook is absent (or a no-op) and the hub is served as is.
import type { ConsoleHub } from '../bridge/types.js';
import type { Config } from '../config/index.js';
import type { VmRegistry } from '../discovery/types.js';
import type { WebServerDeps } from '../http/index.js';
import { createMetrics, type DaemonMetrics } from '../metrics/index.js';

/** What the daemon asks of the hub it is given (metrics). */
export interface HubHooks {
  readonly onSerialResync?: (vmName: string) => void;
  /** A port's serial log stopped (false) or resumed (true) writing to disk. */
  readonly onSerialLogWriting?: (vmName: string, writing: boolean) => void;
}

export interface DaemonMetricsWiring {
  /** For the failed-login counter (both front doors). */
  readonly login: DaemonMetrics['login'] | undefined;
  readonly hubHooks: HubHooks;
  readonly onThumbnailCapture: (result: 'ok' | 'error') => void;
  /** The /metrics route and the power-action counter, for the web server. */
  readonly routes: Pick<WebServerDeps, 'metrics' | 'onAction'>;
  /**
   * Follows the registry and hub for the gauges; returns the hub the front doors get (every
   * attach counted) and the function that stops following.
   */
  observe(registry: VmRegistry, hub: ConsoleHub): { served: ConsoleHub; unobserve: (() => void) | null };
}

export function wireMetrics(settings: Config['metrics'], version: string): DaemonMetricsWiring {
  const metrics = settings.enabled
    ? createMetrics({ maxDomainLabels: settings.maxDomainLabels, version })
    : null;
  if (metrics === null) {
    return {
      login: undefined,
      hubHooks: {},
      onThumbnailCapture: () => undefined,
      routes: {},
      observe: (_registry, hub) => ({ served: hub, unobserve: null }),
    };
  }
  return {
    login: metrics.login,
    hubHooks: {
      onSerialResync: (vm) => {
        metrics.serialResync(vm);
      },
      onSerialLogWriting: (_vm, writing) => {
        metrics.serialLogWriting(writing);
      },
    },
    onThumbnailCapture: (result) => {
      metrics.thumbnailCapture(result);
    },
    routes: routesOf(metrics, settings),
    observe: (registry, hub) => ({
      unobserve: metrics.observe(registry, hub),
      served: metrics.instrumentHub(hub),
    }),
  };
}

/** The HTTP side of the metrics: the /metrics route and the power-action counter. */
function routesOf(
  metrics: DaemonMetrics,
  settings: Config['metrics'],
): Pick<WebServerDeps, 'metrics' | 'onAction'> {
  return {
    onAction: (action, result) => {
      metrics.powerAction(action, result);
    },
    metrics: {
      token: settings.token,
      loopbackOnly: settings.loopbackOnly,
      render: () => metrics.render(),
    },
  };
}
