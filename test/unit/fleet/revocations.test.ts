// Logouts across entries, the parts without I/O: a host's bounded list of revoked sessions,
// the check of what an entry posts, and an entry's sender that queues a logout for a host that
// cannot take it now (targets here are functions: the real POST and hosts are in
// test/integration/fleet/revocation.test.ts).
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { isVwcError } from '../../../src/errors/index.js';
import { RevocationSender, REVOCATIONS_PATH } from '../../../src/fleet/revocation-sender.js';
import { RevocationList, parseRevocation } from '../../../src/fleet/revocations.js';

const digest = (n: number): string => `${String(n).padStart(3, '0')}${'A'.repeat(40)}`;

function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as never);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('RevocationList (host)', () => {
  it('keeps and announces each revocation once, until it expires', () => {
    const clock = { t: 1_000 };
    const list = new RevocationList({ now: () => clock.t, logger: pino({ level: 'silent' }) });
    const heard: string[] = [];
    list.on('revoked', (r) => heard.push(r.digest));
    list.add({ digest: digest(1), expiresAt: 5_000 });
    list.add({ digest: digest(1), expiresAt: 5_000 });
    list.add({ digest: digest(2), expiresAt: 9_000 });
    list.add({ digest: digest(3), expiresAt: 1_000 });
    expect(heard).toEqual([digest(1), digest(2)]);
    expect(list.list()).toEqual([
      { digest: digest(1), expiresAt: 5_000 },
      { digest: digest(2), expiresAt: 9_000 },
    ]);
    clock.t = 5_000;
    expect(list.list()).toEqual([{ digest: digest(2), expiresAt: 9_000 }]);
  });

  it('is bounded: past its cap the oldest goes, with a warning', () => {
    const { logger, lines } = capture();
    const list = new RevocationList({ now: () => 0, logger, max: 3 });
    for (let i = 0; i < 5; i++) list.add({ digest: digest(i), expiresAt: 1_000 });
    expect(list.size).toBe(3);
    expect(list.list().map((r) => r.digest)).toEqual([digest(2), digest(3), digest(4)]);
    const warnings = lines.filter((l) => String(l.msg).includes('revocations full'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ level: 40, max: 3 });
  });

  it('takes only a digest and an expiry within a month from an entry', () => {
    const now = 1_700_000_000_000;
    expect(parseRevocation({ digest: digest(1), expiresAt: now + 1000 }, now)).toEqual({
      digest: digest(1),
      expiresAt: now + 1000,
    });
    for (const body of [
      null,
      {},
      { digest: 'short', expiresAt: now },
      { digest: `${digest(1)}=`, expiresAt: now },
      { digest: digest(1), expiresAt: '1' },
      { digest: digest(1), expiresAt: 1.5 },
      { digest: digest(1), expiresAt: now + 40 * 24 * 3_600_000 },
    ]) {
      let error: unknown = null;
      try {
        parseRevocation(body, now);
      } catch (e) {
        error = e;
      }
      expect(isVwcError(error, 'VWC_ERR_BAD_REQUEST'), JSON.stringify(body)).toBe(true);
    }
  });
});

describe('RevocationSender (entry)', () => {
  it('posts a logout to every host and queues it for one that cannot take it, until it is back', async () => {
    const { logger, lines } = capture();
    const posted: string[] = [];
    let h2Up = false;
    const sender = new RevocationSender({
      targets: [
        {
          name: 'h1',
          post: (path, body) => (posted.push(`h1 ${path} ${JSON.stringify(body)}`), Promise.resolve()),
        },
        {
          name: 'h2',
          post: (_path, body) =>
            h2Up
              ? (posted.push(`h2 ${JSON.stringify(body)}`), Promise.resolve())
              : Promise.reject(new Error('ECONNREFUSED')),
        },
      ],
      now: () => 0,
      logger,
      retryMs: 60_000,
    });
    sender.send({ digest: digest(1), expiresAt: 1_000 });
    await settle();
    expect(posted).toEqual([`h1 ${REVOCATIONS_PATH} {"digest":"${digest(1)}","expiresAt":1000}`]);
    expect(lines.find((l) => String(l.msg).includes('not yet told'))).toMatchObject({ hosts: ['h2'] });
    h2Up = true;
    sender.hostUp('h2');
    await settle();
    expect(posted.at(-1)).toBe(`h2 {"digest":"${digest(1)}","expiresAt":1000}`);
    // Nothing left to send: back again sends nothing.
    sender.hostUp('h2');
    await settle();
    expect(posted).toHaveLength(2);
    sender.stop();
  });

  it('warns when a logout reaches no host, retries by itself, and drops it once expired', async () => {
    const { logger, lines } = capture();
    const clock = { t: 0 };
    let up = false;
    const posted: unknown[] = [];
    const post = (_path: string, body: unknown): Promise<void> =>
      up ? (posted.push(body), Promise.resolve()) : Promise.reject(new Error('ECONNREFUSED'));
    const sender = new RevocationSender({
      targets: [{ name: 'h1', post }],
      now: () => clock.t,
      logger,
      retryMs: 10,
    });
    sender.send({ digest: digest(1), expiresAt: 1_000 });
    sender.send({ digest: digest(2), expiresAt: 100 });
    await settle();
    expect(lines.filter((l) => String(l.msg).includes('reached no fleet host'))).toHaveLength(2);
    expect(lines.find((l) => String(l.msg).includes('reached no fleet host'))).toMatchObject({ level: 40 });
    clock.t = 500;
    up = true;
    await new Promise((r) => setTimeout(r, 100));
    expect(posted).toEqual([{ digest: digest(1), expiresAt: 1_000 }]);
    sender.stop();
  });
});
