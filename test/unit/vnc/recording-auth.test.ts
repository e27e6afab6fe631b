// The recorder's VNC authentication (docs/vnc.md "Recording"): DES against the standard's test
// vector and against noVNC's own DES, security type 2 in the pure handshake (3.8, 3.7, 3.3; the
// server bytes split at every position), a refused password said as such, and where the
// password comes from (src/discovery/vnc-password.ts) without ever reaching the registry's
// snapshot or the API's JSON.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { RecorderHandshake } from '../../../src/bridge/vnc/recording/index.js';
import { desEncryptBlocks, vncAuthResponse } from '../../../src/bridge/vnc/recording/des.js';
import type { ConsoleHub } from '../../../src/bridge/types.js';
import {
  Registry,
  createVncPasswordLookup,
  parseDomainXml,
  vncPasswordOf,
} from '../../../src/discovery/index.js';
import { isVwcError } from '../../../src/errors/index.js';
import { domainItem } from '../../../src/http/views.js';
import type { Principal } from '../../../src/http/access.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { FakeVirsh } from '../discovery/fake-virsh.js';
import { makeVm } from '../discovery/make-vm.js';

const GREETING_38 = Buffer.from('RFB 003.008\n', 'latin1');
const CHALLENGE = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

function serverInit(width: number, height: number, name: string): Buffer {
  const init = Buffer.alloc(24 + name.length);
  init.writeUInt16BE(width, 0);
  init.writeUInt16BE(height, 2);
  init.writeUInt32BE(name.length, 20);
  init.write(name, 24, 'latin1');
  return init;
}

function failure(reason: string): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, reason.length]), Buffer.from(reason, 'latin1')]);
}

/** Feeds `server` split in two at `at`; the replies joined, the ServerInit (if any), or what it threw. */
function run(
  password: string | null,
  server: Buffer,
  at: number,
): { replies: Buffer; done?: { width: number; name: string }; error?: unknown } {
  const hs = new RecorderHandshake(password);
  const replies: Buffer[] = [];
  try {
    for (const part of [server.subarray(0, at), server.subarray(at)]) {
      if (part.length === 0) continue;
      const step = hs.push(Buffer.from(part));
      replies.push(...step.reply);
      if (step.done) return { replies: Buffer.concat(replies), done: step.done };
    }
  } catch (error) {
    return { replies: Buffer.concat(replies), error };
  }
  return { replies: Buffer.concat(replies) };
}

describe('DES for VNC authentication', () => {
  it('matches the standard test vector', () => {
    const key = Buffer.from('133457799bbcdff1', 'hex');
    expect(desEncryptBlocks(key, Buffer.from('0123456789abcdef', 'hex')).toString('hex')).toBe(
      '85e813540f0ab405',
    );
  });

  it('answers a challenge as noVNC does, for passwords short, long and odd', async () => {
    // noVNC's DES (a devDependency; its package does not export the file): imported by path.
    const { DESECBCipher } = (await import(
      path.join(REPO_ROOT, 'node_modules/@novnc/novnc/core/crypto/des.js')
    )) as {
      DESECBCipher: { importKey(key: Uint8Array): { encrypt(a: unknown, data: Uint8Array): Uint8Array } };
    };
    for (const password of ['', 'a', 'sesame12', 'longer-than-eight', '\x7f\x01~ ']) {
      // noVNC's genDES: the password's char codes as key; its DES mirrors the key bits itself.
      const key = new Uint8Array(8);
      for (let i = 0; i < Math.min(8, password.length); i += 1) key[i] = password.charCodeAt(i);
      const expected = Buffer.from(DESECBCipher.importKey(key).encrypt(null, CHALLENGE));
      expect(vncAuthResponse(password, CHALLENGE).toString('hex')).toBe(expected.toString('hex'));
    }
  });
});

describe('RecorderHandshake, VNC authentication', () => {
  const answer = vncAuthResponse('sesame12', CHALLENGE);

  it('3.8: picks type 2, answers the challenge, then shares; split at every position', () => {
    const server = Buffer.concat([
      GREETING_38,
      Buffer.from([1, 2]),
      CHALLENGE,
      Buffer.from([0, 0, 0, 0]),
      serverInit(720, 400, 'guest'),
    ]);
    for (let at = 0; at <= server.length; at += 1) {
      const { replies, done, error } = run('sesame12', server, at);
      expect(error).toBeUndefined();
      expect(done).toMatchObject({ width: 720, name: 'guest' });
      // Version, type 2, the 16-byte answer, ClientInit (shared), then the setup messages.
      expect(replies.subarray(0, 30)).toEqual(
        Buffer.concat([GREETING_38, Buffer.from([2]), answer, Buffer.from([1])]),
      );
    }
  });

  it('prefers None when the server offers both', () => {
    const server = Buffer.concat([GREETING_38, Buffer.from([2, 2, 1, 0, 0, 0, 0]), serverInit(8, 8, '')]);
    const { replies, done } = run('sesame12', server, server.length);
    expect(done).toBeDefined();
    expect(replies.subarray(12, 14)).toEqual(Buffer.from([1, 1]));
  });

  it('3.7 and 3.3 (the server chooses type 2) answer the same way', () => {
    const v37 = Buffer.concat([
      Buffer.from('RFB 003.007\n'),
      Buffer.from([1, 2]),
      CHALLENGE,
      Buffer.from([0, 0, 0, 0]),
      serverInit(640, 480, 'x'),
    ]);
    const v33 = Buffer.concat([
      Buffer.from('RFB 003.003\n'),
      Buffer.from([0, 0, 0, 2]),
      CHALLENGE,
      Buffer.from([0, 0, 0, 0]),
      serverInit(640, 480, 'x'),
    ]);
    for (const [server, chosen] of [
      [v37, Buffer.from([2])],
      [v33, Buffer.alloc(0)],
    ] as const) {
      for (let at = 0; at <= server.length; at += 1) {
        const { replies, done } = run('sesame12', server, at);
        expect(done).toMatchObject({ width: 640 });
        expect(replies.subarray(12, 12 + chosen.length + 17)).toEqual(
          Buffer.concat([chosen, answer, Buffer.from([1])]),
        );
      }
    }
  });

  it('a wrong password: SecurityResult failed → a refusal that says the VM’s password was refused', () => {
    const server = Buffer.concat([
      GREETING_38,
      Buffer.from([1, 2]),
      CHALLENGE,
      failure('Authentication failed'),
    ]);
    for (let at = 0; at <= server.length; at += 1) {
      const { error } = run('wrong-pw', server, at);
      expect(isVwcError(error) && error.code).toBe('VWC_ERR_RECORDING_UNAVAILABLE');
      expect(String(error)).toMatch(/VM's VNC password was refused.*Authentication failed/);
    }
    // 3.3 and 3.7 send no reason: the failure alone is enough.
    const old = Buffer.concat([
      Buffer.from('RFB 003.003\n'),
      Buffer.from([0, 0, 0, 2]),
      CHALLENGE,
      Buffer.from([0, 0, 0, 1]),
    ]);
    expect(String(run('wrong-pw', old, old.length).error)).toMatch(/VM's VNC password was refused/);
  });

  it('without a password, type 2 alone is still refused (a socket-folder VM)', () => {
    const server = Buffer.concat([GREETING_38, Buffer.from([1, 2])]);
    const { error } = run(null, server, server.length);
    expect(isVwcError(error) && error.code).toBe('VWC_ERR_RECORDING_UNAVAILABLE');
    expect(String(error)).toMatch(/password the daemon does not know/);
  });
});

describe('the VM’s VNC password (src/discovery/vnc-password.ts)', () => {
  const xml = readFileSync(path.join(REPO_ROOT, 'fixtures/xml/handmade/graphics-mixed.xml'), 'utf8');
  const secret = 's3cret-Pa55';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-vncpw-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is read from the domain XML, and never kept in the Vm, the registry snapshot or the API JSON', () => {
    expect(vncPasswordOf(xml)).toBe(secret);
    // The fixture is a status file; the bare <domain> inside it is what virsh prints.
    const bare = /<domain[^]*<\/domain>/.exec(xml)![0];
    expect(vncPasswordOf(bare)).toBe(secret);
    const vm = parseDomainXml(xml);
    expect(vm.vnc?.passwordSet).toBe(true);
    const registry = new Registry({ logger: pino({ level: 'silent' }) });
    registry.sinkFor('libvirt').upsert(vm);
    const principal: Principal = { user: 'alice', role: 'operator', via: 'basic', canSee: () => true };
    const ok = { ok: true } as const;
    const hub = {
      vncAvailable: () => ok,
      spiceAvailable: () => ok,
      serialAvailable: () => ok,
    } as unknown as ConsoleHub;
    const seen = JSON.stringify([
      vm,
      registry.snapshot(),
      domainItem(registry.get(vm.name)!, principal, hub),
    ]);
    expect(seen).not.toContain(secret);
  });

  it('comes from the status file on qemu:///system, else from virsh --security-info; socket-folder VMs have none', async () => {
    writeFileSync(path.join(dir, 'web1.xml'), xml);
    const fileVirsh = Object.assign(new FakeVirsh(() => xml.replace(secret, 'from-virsh')), {
      uri: 'qemu:///system',
    });
    const fromFile = createVncPasswordLookup({ virsh: fileVirsh, runDir: dir });
    expect(await fromFile(makeVm('web1'))).toBe(secret);
    expect(fileVirsh.calls).toEqual([]);
    // No status file (not root, say): virsh, asked for the security info.
    expect(await fromFile(makeVm('web2'))).toBe('from-virsh');
    expect(fileVirsh.calls).toEqual([['dumpxml', '--security-info', '--domain', 'web2']]);
    expect(await fromFile(makeVm('web1', { source: 'socket-folder' }))).toBeNull();
    // Another URI: never the local files.
    const remote = new FakeVirsh(
      () => "<domain><name>web1</name><devices><graphics type='vnc'/></devices></domain>",
    );
    expect(await createVncPasswordLookup({ virsh: remote, runDir: dir })(makeVm('web1'))).toBeNull();
    expect(remote.calls.length).toBe(1);
    // virsh failing: no password, no throw.
    const failing = new FakeVirsh(() => {
      throw new Error('no domain');
    });
    expect(await createVncPasswordLookup({ virsh: failing, runDir: dir })(makeVm('gone'))).toBeNull();
  });
});
