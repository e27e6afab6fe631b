// GET /api/domains/<name>/serial/<n>/log: a serial port's log on disk as a download
// (docs/interfaces.md), streamed one segment at a time with the response's backpressure.
// Readable per the domain ACL, like the console itself; every download is audited.
import { once } from 'node:events';
import type { Request, Router } from 'express';
import type { Logger } from 'pino';
import { LOG_FORMATS, LogExporter, type LogFormat } from '../../bridge/serial/log/index.js';
import type { ConsoleHub } from '../../bridge/types.js';
import type { VmRegistry } from '../../discovery/types.js';
import { VwcError } from '../../errors/index.js';
import { param, parseIndex, principalOf, visibleVm } from './api.js';

export interface SerialLogRouteDeps {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly logger: Logger;
}

/** A time bound: ms since the epoch, or an ISO 8601 date and time. */
function timeParam(req: Request, name: string): number | undefined {
  const value = req.query[name];
  if (value === undefined || value === '') return undefined;
  const ms = typeof value !== 'string' ? NaN : /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new VwcError(
      'VWC_ERR_BAD_REQUEST',
      `${name} must be a time: ms since 1970 or ISO 8601 (2026-12-06T19:00:00Z)`,
    );
  return ms;
}

function formatParam(req: Request): LogFormat {
  const value = req.query.format ?? 'text';
  if (typeof value !== 'string' || !(LOG_FORMATS as readonly string[]).includes(value))
    throw new VwcError('VWC_ERR_BAD_REQUEST', `format must be one of ${LOG_FORMATS.join(', ')}`);
  return value as LogFormat;
}

export function addSerialLogRoute(router: Router, deps: SerialLogRouteDeps): void {
  router.get('/domains/:name/serial/:n/log', async (req, res) => {
    const principal = principalOf(res);
    const vm = visibleVm(deps.registry, principal, param(req, 'name'));
    const index = parseIndex(param(req, 'n'), 'serial console');
    if (!vm.serials[index])
      throw new VwcError('VWC_ERR_SERIAL_NOT_FOUND', `domain ${vm.name} has no serial console ${index}`);
    const format = formatParam(req);
    const since = timeParam(req, 'since');
    const until = timeParam(req, 'until');
    const records = deps.hub.readSerialLog?.(vm.name, index, {
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    });
    if (!records)
      throw new VwcError(
        'VWC_ERR_NOT_FOUND',
        'this daemon keeps no serial logs (serialLog.enabled is false)',
      );
    const exporter = new LogExporter({
      format,
      strip: req.query.strip === '1' || req.query.strip === 'true',
      title: `${vm.name} serial ${index}`,
    });
    deps.logger.info(
      { user: principal.user, domain: vm.name, serial: index, format, since, until },
      'serial log downloaded',
    );
    const file = `${vm.name}-serial${index}.${exporter.extension}`;
    res.setHeader('content-type', exporter.contentType);
    res.setHeader('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file)}`);
    res.setHeader('cache-control', 'no-store');
    for await (const record of records) {
      if (res.destroyed) return;
      const chunk = exporter.record(record);
      // A client that goes away while we wait for 'drain' ends the download ('close').
      if (chunk.length > 0 && !res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    res.end(exporter.end());
  });
}
