// The SSH host key: ed25519, made with node:crypto on the first start with SSH on and kept in
// the state folder (0600) in OpenSSH's own format, which ssh2 reads and `ssh-keygen -l -f`
// understands. Nothing shells out to ssh-keygen. A key that is unreadable, of another type or
// readable by others stops the start: a silently replaced host key would teach users to ignore
// OpenSSH's "host key changed" warning.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { VwcError } from '../errors/index.js';

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';

export interface HostKey {
  /** The private key file's text (OpenSSH format), as ssh2's Server takes it. */
  readonly privateKey: string;
  /** `SHA256:…`, as OpenSSH prints it. */
  readonly fingerprint: string;
  /** `ssh-ed25519 AAAA…`, for a known_hosts line. */
  readonly publicKey: string;
}

export function hostKeyPath(stateDir: string): string {
  return path.join(stateDir, HOST_KEY_FILE);
}

/** An SSH wire `string`: length, then bytes. */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

/** The public key blob: string "ssh-ed25519", string key (32 bytes). */
export function ed25519PublicBlob(publicKey: Buffer): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(publicKey)]);
}

export function fingerprintOf(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * An unencrypted `openssh-key-v1` private key file (PROTOCOL.key in OpenSSH's sources) for an
 * ed25519 key given as its 32-byte seed and 32-byte public key.
 */
export function encodeOpenSshEd25519(seed: Buffer, publicKey: Buffer, comment: string): string {
  const check = randomBytes(4);
  let secret = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(publicKey),
    sshString(Buffer.concat([seed, publicKey])),
    sshString(comment),
  ]);
  // Padded with 1, 2, 3 … to the cipher's block size (8 for "none").
  const pad = (8 - (secret.length % 8)) % 8;
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(ed25519PublicBlob(publicKey)),
    sshString(secret),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** A new ed25519 key pair from node:crypto, as an OpenSSH private key file. */
export function generateHostKey(comment: string): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.d === undefined || jwk.x === undefined) throw new Error('ed25519 JWK without d or x');
  return encodeOpenSshEd25519(Buffer.from(jwk.d, 'base64url'), Buffer.from(jwk.x, 'base64url'), comment);
}

/** Parses an OpenSSH private key file; throws VWC_ERR_SSH_HOST_KEY unless it is ed25519. */
export function parseHostKey(text: string, file: string): HostKey {
  const key = ssh2.utils.parseKey(text);
  if (key instanceof Error || key.type !== 'ssh-ed25519' || !key.isPrivateKey()) {
    const why = key instanceof Error ? key.message : `not an ed25519 private key (${key.type})`;
    throw new VwcError(
      'VWC_ERR_SSH_HOST_KEY',
      `${file}: ${why}; move it away and a new host key is made at the next start`,
    );
  }
  const blob = key.getPublicSSH();
  return {
    privateKey: text,
    fingerprint: fingerprintOf(blob),
    publicKey: `ssh-ed25519 ${blob.toString('base64')}`,
  };
}

/** Reads the host key; throws VWC_ERR_SSH_HOST_KEY when missing, unreadable, shared or wrong. */
export function readHostKey(stateDir: string): HostKey {
  const file = hostKeyPath(stateDir);
  let text: string;
  try {
    const st = statSync(file);
    if ((st.mode & 0o077) !== 0) {
      throw new VwcError(
        'VWC_ERR_SSH_HOST_KEY',
        `${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${file}`,
      );
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof VwcError) throw error;
    throw new VwcError('VWC_ERR_SSH_HOST_KEY', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseHostKey(text, file);
}

/** The host key, made first (folder 0700, file 0600, written whole then renamed) when missing. */
export function ensureHostKey(stateDir: string): { key: HostKey; created: boolean } {
  const file = hostKeyPath(stateDir);
  if (statSync(file, { throwIfNoEntry: false })) return { key: readHostKey(stateDir), created: false };
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, generateHostKey('virt-webconsole host key'), { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, file);
  } catch (error) {
    throw new VwcError(
      'VWC_ERR_SSH_HOST_KEY',
      `cannot create the SSH host key ${file} (${(error as Error).message}); set stateDir (--state-dir) to a writable folder`,
      { cause: error },
    );
  }
  return { key: readHostKey(stateDir), created: true };
}
