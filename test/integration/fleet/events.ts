// A test reader of an event stream (an entry's /api/events): every event with its parsed data,
// and a wait for the first one that matches.
import http from 'node:http';
import { createParser } from 'eventsource-parser';

export interface StreamEvent {
  readonly event: string;
  readonly data: unknown;
  /** Date.now() when it arrived. */
  readonly at: number;
}

export class EventLog {
  readonly events: StreamEvent[] = [];
  private constructor(private readonly request: http.ClientRequest) {}

  static open(url: string, headers: Record<string, string>): Promise<EventLog> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } });
      const log = new EventLog(request);
      request.once('response', (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${url}: ${res.statusCode}`));
          return;
        }
        const parser = createParser({
          onEvent: (e) => {
            log.events.push({ event: e.event ?? 'message', data: JSON.parse(e.data), at: Date.now() });
          },
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          parser.feed(chunk);
        });
        resolve(log);
      });
      request.once('error', reject);
    });
  }

  /** The first event from index `from` on that matches. */
  async waitFor(
    what: string,
    match: (e: StreamEvent) => boolean,
    from = 0,
    timeoutMs = 30_000,
  ): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no ${what} in ${timeoutMs} ms; got ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    this.request.destroy();
  }
}
