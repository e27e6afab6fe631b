// The console's events as markers in the live stream (protocol `event` messages), apart from
// I/O. The log keeps every event record (records.ts); a page needs only the ones a person
// watching cares about: the VM started, stopped, was paused or resumed, rebooted itself, and the
// daemon was away (output printed meanwhile is lost). This turns the first into the second, with
// the little state that takes (the previous VM state, whether a daemon ran before), and keeps
// the latest markers with their offsets so a client attaching or resuming at an offset gets
// the ones in the range it receives.
import type { LogEvent } from './log/records.js';
import type { StreamEvent } from './protocol.js';

/** Markers kept in memory per port (a client attaching gets those in its range). */
export const MAX_STREAM_EVENTS = 256;

const STATE_TEXT: Readonly<Record<string, { kind: StreamEvent['kind']; text: string }>> = {
  shutoff: { kind: 'stop', text: 'VM stopped' },
  crashed: { kind: 'stop', text: 'VM crashed' },
  shutdown: { kind: 'state', text: 'VM shutting down' },
  paused: { kind: 'state', text: 'VM paused' },
  pmsuspended: { kind: 'state', text: 'VM suspended' },
};

export class ConsoleEvents {
  private readonly kept: StreamEvent[] = [];
  /** Sequence number of kept[0]: clients remember the next one they need. */
  private firstSeq = 0;
  private state: string | null = null;
  /** A record was seen before (a daemon ran on this log before this one). */
  private seen = false;
  private unclean = false;

  /** Turns one log event into a marker (kept, and returned) or nothing. */
  add(offset: number, time: number, event: LogEvent): StreamEvent | null {
    const marker = this.markerFor(event);
    this.seen = true;
    if (!marker) return null;
    const kept: StreamEvent = { offset, time, ...marker };
    this.kept.push(kept);
    if (this.kept.length > MAX_STREAM_EVENTS) {
      this.kept.shift();
      this.firstSeq += 1;
    }
    return kept;
  }

  /** Takes the events a previous run logged (oldest first): a daemon-start after them is a restart. */
  continueFrom(records: readonly { offset: number; time: number; event: LogEvent }[]): void {
    for (const record of records) this.add(record.offset, record.time, record.event);
    this.seen = true;
  }

  /** Sequence number just past the newest marker. */
  get endSeq(): number {
    return this.firstSeq + this.kept.length;
  }

  /** The first marker at or after `offset` (its sequence number; endSeq when none). */
  seqAt(offset: number): number {
    const index = this.kept.findIndex((event) => event.offset >= offset);
    return index < 0 ? this.endSeq : this.firstSeq + index;
  }

  /** The marker with sequence number `seq`, if still kept (older ones are gone: skipped). */
  get(seq: number): StreamEvent | undefined {
    return this.kept[Math.max(0, seq - this.firstSeq)];
  }

  /** Lowest sequence number still kept. */
  get startSeq(): number {
    return this.firstSeq;
  }

  private markerFor(event: LogEvent): Omit<StreamEvent, 'offset' | 'time'> | null {
    switch (event.kind) {
      case 'boot':
        this.state = 'running';
        return { kind: 'start', text: 'VM started' };
      case 'reset':
        return { kind: 'reboot', text: 'VM rebooted' };
      case 'state': {
        const previous = this.state;
        this.state = event.state;
        if (event.state === previous) return null;
        if (event.state === 'running')
          return previous === 'paused' || previous === 'pmsuspended'
            ? { kind: 'state', text: 'VM resumed' }
            : null;
        return STATE_TEXT[event.state] ?? null;
      }
      case 'daemon-stop':
        this.unclean = false;
        return null;
      case 'daemon-start': {
        // The first run on this log has nothing to compare with; a restart left a hole.
        const restart = this.seen;
        const crashed = event.unclean || this.unclean;
        this.unclean = true; // until this run's daemon-stop says otherwise
        if (!restart) return null;
        return {
          kind: 'daemon-restart',
          text: crashed
            ? 'console daemon restarted after a crash; output while it was away is lost'
            : 'console daemon restarted; output while it was away is lost',
        };
      }
      case 'log-resumed':
        return null;
    }
  }
}
