// Login sessions sealed with a fleet's shared secret: one made at an entry holds at its
// siblings, a tampered or foreign one does not, and one ended here is not taken in again.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SessionStore, type SessionRevocation } from '../../../src/http/auth/sessions.js';

const limits = { idleMs: 60_000, absoluteMs: 3_600_000, maxPerUser: 4, maxTotal: 100 };

describe('sealed login sessions', () => {
  const seal = randomBytes(32);
  const clock = { t: 1_000_000 };
  const now = () => clock.t;

  it("are taken in by a sibling entry with the same seal, keeping the first login's time", () => {
    const a = new SessionStore(limits, now, seal);
    const b = new SessionStore(limits, now, seal);
    const { id } = a.create('alice', 'stamp-1');
    clock.t += 1000;
    expect(b.use(id)).toMatchObject({ user: 'alice', stamp: 'stamp-1', createdAt: 1_000_000 });
    expect(b.size).toBe(1);
    // Past the absolute timeout no entry takes it.
    clock.t += limits.absoluteMs;
    expect(new SessionStore(limits, now, seal).use(id)).toBeNull();
  });

  it('refuse a tampered id, one sealed with another secret, and sealed ids at a standalone daemon', () => {
    const a = new SessionStore(limits, now, seal);
    const { id } = a.create('alice', 'stamp-1');
    const [payload, mac] = id.split('.') as [string, string];
    const raised = Buffer.from(
      JSON.stringify({ ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object), u: 'root' }),
    ).toString('base64url');
    const b = new SessionStore(limits, now, seal);
    expect(b.use(`${raised}.${mac}`)).toBeNull();
    expect(new SessionStore(limits, now, randomBytes(32)).use(id)).toBeNull();
    expect(new SessionStore(limits, now).use(id)).toBeNull();
  });

  it('are not taken in again where they ended (logout)', () => {
    const a = new SessionStore(limits, now, seal);
    const { id } = a.create('alice', 'stamp-1');
    expect(a.end(id)).toBe(true);
    expect(a.use(id)).toBeNull();
  });
});

describe('logouts across entries (revocations)', () => {
  const seal = randomBytes(32);
  const clock = { t: 5_000_000 };
  const now = () => clock.t;

  it('tell of a sealed session ended by logout, by its digest and absolute expiry, and of nothing else', () => {
    const told: unknown[] = [];
    const a = new SessionStore(limits, now, seal, (r) => told.push(r));
    const { id } = a.create('alice', 'stamp-1');
    const digest = createHash('sha256').update(id).digest('base64url');
    expect(a.end(id)).toBe(true);
    expect(told).toEqual([{ digest, expiresAt: clock.t + limits.absoluteMs }]);
    // Ending it again, or an unknown id, or a session timing out, tells nothing.
    expect(a.end(id)).toBe(false);
    const other = a.create('bob', 'stamp-2');
    clock.t += limits.idleMs;
    expect(a.use(other.id)).toBeNull();
    expect(told).toHaveLength(1);
    // A standalone daemon's sessions are nobody else's business.
    const alone = new SessionStore(limits, now, null, (r) => told.push(r));
    alone.end(alone.create('alice', 's').id);
    expect(told).toHaveLength(1);
  });

  it('make a sibling refuse the cookie, whether it had taken it in already or not, until it would time out', () => {
    const told: SessionRevocation[] = [];
    const a = new SessionStore(limits, now, seal, (r) => told.push(r));
    const b = new SessionStore(limits, now, seal);
    const c = new SessionStore(limits, now, seal);
    const { id } = a.create('alice', 'stamp-1');
    expect(b.use(id)).not.toBeNull();
    a.end(id);
    for (const sibling of [b, c]) sibling.revoke(told[0]!);
    expect(b.use(id)).toBeNull();
    expect(c.use(id)).toBeNull();
    expect(b.size).toBe(0);
    // A revocation already past its expiry changes nothing.
    const fresh = a.create('alice', 'stamp-1');
    const digest = createHash('sha256').update(fresh.id).digest('base64url');
    c.revoke({ digest, expiresAt: clock.t });
    expect(c.use(fresh.id)).not.toBeNull();
  });
});
