// Fleet tickets on their own: what an entry signs passes a host's check exactly once, for
// exactly its host, domain and console, within its lifetime (±5 s of skew); anything else is
// refused with the reason.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CLOCK_SKEW_MS,
  TicketVerifier,
  isFleetTicket,
  signTicket,
  type FleetConsole,
} from '../../../src/fleet/index.js';

const pair = () => generateKeyPairSync('ed25519');
const entry = pair();
const other = pair();
const T0 = 1_800_000_000_000;

function setup(now = { t: T0 }) {
  const verifier = new TicketVerifier({ host: 'h1', publicKeys: [entry.publicKey], now: () => now.t });
  const grant = {
    user: 'alice',
    role: 'operator' as const,
    host: 'h1',
    domain: 'web1',
    console: 'serial/0' as FleetConsole,
  };
  return { verifier, grant, now };
}

describe('fleet tickets', () => {
  it('accepts a fresh ticket once, with its claims, and refuses the replay', () => {
    const { verifier, grant } = setup();
    const { ticket } = signTicket(entry.privateKey, grant, 30_000, T0);
    expect(isFleetTicket(ticket)).toBe(true);
    const first = verifier.redeem(ticket, 'web1', 'serial/0');
    expect(first).toMatchObject({ ok: true, claims: { user: 'alice', role: 'operator', host: 'h1' } });
    expect(verifier.redeem(ticket, 'web1', 'serial/0')).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it('refuses a ticket for another host, domain or console kind', () => {
    const { verifier, grant } = setup();
    const sign = (over: Partial<typeof grant>) =>
      signTicket(entry.privateKey, { ...grant, ...over }, 30_000, T0).ticket;
    expect(verifier.redeem(sign({ host: 'h2' }), 'web1', 'serial/0')).toMatchObject({
      ok: false,
      reason: 'host',
    });
    expect(verifier.redeem(sign({}), 'web2', 'serial/0')).toMatchObject({ ok: false, reason: 'domain' });
    expect(verifier.redeem(sign({}), 'web1', 'serial/1')).toMatchObject({ ok: false, reason: 'console' });
    expect(verifier.redeem(sign({}), 'web1', 'vnc')).toMatchObject({ ok: false, reason: 'console' });
    expect(verifier.redeem(sign({ console: 'vnc' }), 'web1', 'vnc-control')).toMatchObject({
      ok: false,
      reason: 'console',
    });
  });

  it('allows 5 s of clock skew past expiry and no more', () => {
    const { verifier, grant, now } = setup();
    const a = signTicket(entry.privateKey, grant, 30_000, T0).ticket;
    const b = signTicket(entry.privateKey, grant, 30_000, T0).ticket;
    now.t = T0 + 30_000 + CLOCK_SKEW_MS - 1;
    expect(verifier.redeem(a, 'web1', 'serial/0').ok).toBe(true);
    now.t = T0 + 30_000 + CLOCK_SKEW_MS;
    expect(verifier.redeem(b, 'web1', 'serial/0')).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses a ticket claiming a lifetime longer than 30 s (an entry clock far ahead)', () => {
    const { verifier, grant } = setup();
    const ahead = signTicket(entry.privateKey, grant, 30_000, T0 + 6_000).ticket;
    expect(verifier.redeem(ahead, 'web1', 'serial/0')).toMatchObject({ ok: false, reason: 'expired' });
    const within = signTicket(entry.privateKey, grant, 30_000, T0 + 4_000).ticket;
    expect(verifier.redeem(within, 'web1', 'serial/0').ok).toBe(true);
  });

  it('refuses a forged ticket and one signed by another key', () => {
    const { verifier, grant } = setup();
    const { ticket } = signTicket(entry.privateKey, grant, 30_000, T0);
    const [payload, signature] = ticket.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const raised = Buffer.from(JSON.stringify({ ...claims, role: 'operator', user: 'mallory' })).toString(
      'base64url',
    );
    expect(verifier.redeem(`${raised}.${signature}`, 'web1', 'serial/0')).toMatchObject({
      ok: false,
      reason: 'forged',
    });
    const foreign = signTicket(other.privateKey, grant, 30_000, T0).ticket;
    expect(verifier.redeem(foreign, 'web1', 'serial/0')).toMatchObject({ ok: false, reason: 'forged' });
    expect(verifier.redeem('not.a-ticket', 'web1', 'serial/0')).toMatchObject({
      ok: false,
      reason: 'forged',
    });
    expect(verifier.redeem('.', 'web1', 'serial/0')).toMatchObject({ ok: false, reason: 'malformed' });
    // Nothing refused was remembered as used.
    expect(verifier.remembered).toBe(0);
  });

  it('accepts either key during a rotation', () => {
    const now = { t: T0 };
    const verifier = new TicketVerifier({
      host: 'h1',
      publicKeys: [other.publicKey, entry.publicKey],
      now: () => now.t,
    });
    const grant = { user: 'bob', role: 'viewer' as const, host: 'h1', domain: 'd', console: 'vnc' as const };
    expect(verifier.redeem(signTicket(entry.privateKey, grant, 30_000, T0).ticket, 'd', 'vnc').ok).toBe(true);
    expect(verifier.redeem(signTicket(other.privateKey, grant, 30_000, T0).ticket, 'd', 'vnc').ok).toBe(true);
  });

  it('lets one SPICE ticket open every channel until it expires', () => {
    const { verifier, grant, now } = setup();
    const { ticket } = signTicket(entry.privateKey, { ...grant, console: 'spice' }, 30_000, T0);
    expect(verifier.redeem(ticket, 'web1', 'spice').ok).toBe(true);
    expect(verifier.redeem(ticket, 'web1', 'spice').ok).toBe(true);
    now.t = T0 + 40_000;
    expect(verifier.redeem(ticket, 'web1', 'spice')).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('forgets used nonces once their tickets could no longer pass anyway', () => {
    const { verifier, grant, now } = setup();
    for (let i = 0; i < 5; i++)
      verifier.redeem(signTicket(entry.privateKey, grant, 30_000, T0).ticket, 'web1', 'serial/0');
    expect(verifier.remembered).toBe(5);
    now.t = T0 + 36_000;
    verifier.redeem(signTicket(entry.privateKey, grant, 30_000, now.t).ticket, 'web1', 'serial/0');
    expect(verifier.remembered).toBe(1);
  });
});
