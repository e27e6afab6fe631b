// The serial logs of every port, under one folder (`<stateDir>/serial-logs`): a folder per
// domain, named by a readable part of its name and a hash of all of it (names from XML are
// data, never paths), a folder per port inside. The store hands out PortLogs and keeps the
// total under `maxTotalBytes` by deleting the oldest segments of any port.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { PortLog, listSegments, type PortLogOptions } from './port-log.js';
import { decodeSegment, type LogRecord } from './records.js';

export interface SerialLogOptions extends PortLogOptions {
  /** Every port's segments together; the oldest go first. */
  readonly maxTotalBytes: number;
}

export const DEFAULT_SERIAL_LOG_OPTIONS: SerialLogOptions = {
  flushMs: 200,
  segmentBytes: 4 * 1024 * 1024,
  maxBytes: 64 * 1024 * 1024,
  maxAgeMs: 30 * 24 * 3600 * 1000,
  maxPendingBytes: 8 * 1024 * 1024,
  retryMs: 5000,
  maxTotalBytes: 1024 * 1024 * 1024,
};

export interface SerialLogStoreDeps {
  readonly logger: Logger;
  readonly now?: () => number;
  /** Told when a port's log stops (false) or resumes (true) writing (metrics). */
  readonly onWritingChange?: (vmName: string, writing: boolean) => void;
}

/** The folder name of a domain's logs: readable, collision-free, never a path of its own. */
export function domainFolder(vmName: string): string {
  const readable = vmName
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 64);
  const hash = createHash('sha256').update(vmName, 'utf8').digest('hex').slice(0, 12);
  return `${readable}-${hash}`;
}

export class SerialLogStore {
  private readonly options: SerialLogOptions;

  constructor(
    readonly root: string,
    options: Partial<SerialLogOptions>,
    private readonly deps: SerialLogStoreDeps,
  ) {
    this.options = { ...DEFAULT_SERIAL_LOG_OPTIONS, ...options };
  }

  /** The folder of one port's log. */
  portDir(vmName: string, index: number): string {
    return path.join(this.root, domainFolder(vmName), String(index));
  }

  /** The records of one port's log in a time window (none when it has no log). */
  records(vmName: string, index: number, range: LogRange): AsyncGenerator<LogRecord> {
    return readPortLog(this.portDir(vmName, index), range);
  }

  /** The log of one port; its folder is made on load. */
  port(vmName: string, index: number): PortLog {
    const domainDir = path.join(this.root, domainFolder(vmName));
    mkdirSync(domainDir, { recursive: true, mode: 0o750 });
    // For a person looking at the folder: which domain it is.
    const nameFile = path.join(domainDir, 'domain-name');
    if (!existsSync(nameFile)) writeFileSync(nameFile, `${vmName}\n`, { mode: 0o640 });
    const log = new PortLog(path.join(domainDir, String(index)), this.options, {
      logger: this.deps.logger.child({ vm: vmName, serial: index }),
      now: this.deps.now ?? Date.now,
      onStateChange: (writing) => this.deps.onWritingChange?.(vmName, writing),
      onRotated: () => {
        this.enforceTotal();
      },
    });
    return log;
  }

  /** Deletes the oldest segments of any port until the total fits (never a port's newest). */
  enforceTotal(): void {
    const all: { file: string; offset: number; size: number; mtimeMs: number }[] = [];
    let total = 0;
    for (const domain of safeList(this.root)) {
      for (const port of safeList(path.join(this.root, domain))) {
        const dir = path.join(this.root, domain, port);
        const segments = new PortLog(dir, this.options, {
          logger: this.deps.logger,
          now: Date.now,
        }).segments();
        segments.forEach((s, i) => {
          total += s.size;
          if (i < segments.length - 1) all.push({ file: path.join(dir, s.name), ...s });
        });
      }
    }
    if (total <= this.options.maxTotalBytes) return;
    all.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const segment of all) {
      if (total <= this.options.maxTotalBytes) break;
      try {
        unlinkSync(segment.file);
        total -= segment.size;
      } catch {
        // Gone already.
      }
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** A time window of a log, in ms since the epoch (either end open). */
export interface LogRange {
  readonly since?: number;
  readonly until?: number;
}

/**
 * The records of one port's log in the window, oldest first, one segment in memory at a time.
 * A segment whose last write is before `since` is not read.
 */
export async function* readPortLog(dir: string, range: LogRange): AsyncGenerator<LogRecord> {
  for (const segment of listSegments(dir)) {
    if (range.since !== undefined && segment.mtimeMs < range.since) continue;
    let file: Buffer;
    try {
      file = await readFile(path.join(dir, segment.name));
    } catch {
      continue; // Deleted by retention meanwhile.
    }
    for (const record of decodeSegment(file).records) {
      if (range.since !== undefined && record.time < range.since) continue;
      if (range.until !== undefined && record.time > range.until) return;
      yield record;
    }
  }
}
