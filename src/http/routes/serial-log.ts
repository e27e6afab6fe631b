// GET /api/domains/<name>/serial/<n>/log: a serial port's log on disk as a download
// (docs/interfaces.md), streamed one segment at a time with the response's backpressure; a
// `Range: bytes=` request is answered 206 with that slice of the download (generated whole).
// Readable per the domain ACL, like the console itself; every download is audited.
import { once } from 'node:events';
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { LOG_FORMATS, LogExporter, type LogFormat, type LogRecord } from '../../bridge/serial/log/index.js';
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

/** A ranged download is generated whole, then sliced: past this it is sent whole (200). */
export const MAX_RANGED_BYTES = 64 * 1024 * 1024;

/** The whole download in memory, or null when it is larger than `max`. */
async function generate(
  records: AsyncIterable<LogRecord>,
  exporter: LogExporter,
  max: number,
): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const record of records) {
    const chunk = exporter.record(record);
    if (chunk.length === 0) continue;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += bytes.length;
    if (size > max) return null;
    parts.push(bytes);
  }
  parts.push(Buffer.from(exporter.end(), 'utf8'));
  return Buffer.concat(parts);
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
    const read = (): AsyncIterable<LogRecord> | null | undefined =>
      deps.hub.readSerialLog?.(vm.name, index, {
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
      });
    const newExporter = (): LogExporter =>
      new LogExporter({
        format,
        strip: req.query.strip === '1' || req.query.strip === 'true',
        title: `${vm.name} serial ${index}`,
      });
    let records = read();
    if (!records)
      throw new VwcError(
        'VWC_ERR_NOT_FOUND',
        'this daemon keeps no serial logs (serialLog.enabled is false)',
      );
    let exporter = newExporter();
    const file = `${vm.name}-serial${index}.${exporter.extension}`;
    const headers = {
      'content-type': exporter.contentType,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file)}`,
      'cache-control': 'no-store',
      // Ranges are of the download as generated now: resuming one is exact for a finished time
      // range (until= in the past), as later output only ever adds to the end of an open one.
      'accept-ranges': 'bytes',
    };
    const ranged = req.headers.range !== undefined && req.method === 'GET';
    deps.logger.info(
      {
        user: principal.user,
        domain: vm.name,
        serial: index,
        format,
        since,
        until,
        range: req.headers.range,
      },
      'serial log downloaded',
    );
    if (ranged) {
      const whole = await generate(records, exporter, MAX_RANGED_BYTES);
      if (whole) {
        sendRange(req, res, whole, headers);
        return;
      }
      // Too large to slice here: the whole download, as a server may answer any Range.
      records = read()!;
      exporter = newExporter();
    }
    res.set(headers);
    for await (const record of records) {
      if (res.destroyed) return;
      const chunk = exporter.record(record);
      // A client that goes away while we wait for 'drain' ends the download ('close').
      if (chunk.length > 0 && !res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    res.end(exporter.end());
  });
}

/** 206 with the one range asked for; 416 when none can be met; 200 when it asks for several. */
function sendRange(req: Request, res: Response, whole: Buffer, headers: Record<string, string>): void {
  const ranges = req.range(whole.length, { combine: true });
  if (ranges === -1) {
    res.setHeader('content-range', `bytes */${whole.length}`);
    throw new VwcError(
      'VWC_ERR_RANGE_NOT_SATISFIABLE',
      `the range ${req.headers.range ?? ''} is outside the ${whole.length} bytes of this download`,
    );
  }
  res.set(headers);
  // Malformed (-2), not bytes, or several ranges (no multipart answers): the whole download.
  if (ranges === -2 || ranges === undefined || ranges.type !== 'bytes' || ranges.length !== 1) {
    res.status(200).end(whole);
    return;
  }
  const { start, end } = ranges[0]!;
  res.status(206);
  res.setHeader('content-range', `bytes ${start}-${end}/${whole.length}`);
  res.end(whole.subarray(start, end + 1));
}
