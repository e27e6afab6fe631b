// The fleet's secrets on disk: the entry's Ed25519 key pair (PEM, made by `fleet keygen`) and the
// per-host Bearer tokens. Read once at start; a wrong file stops the start with a message that
// names it and says how to fix it.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VwcError } from '../errors/index.js';

const configError = (message: string): VwcError => new VwcError('VWC_ERR_CONFIG', message);

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw configError(`${file}: cannot read the ${what} (${(error as Error).message})`);
  }
}

function ed25519(key: KeyObject, file: string, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw configError(
      `${file}: the ${what} is ${key.asymmetricKeyType ?? 'not an asymmetric key'}, not Ed25519; make one with \`virt-webconsole fleet keygen <dir>\``,
    );
  }
  return key;
}

export function readPrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readText(file, 'fleet private key'));
  } catch (error) {
    if (error instanceof VwcError) throw error;
    throw configError(`${file}: not a PEM private key; make one with \`virt-webconsole fleet keygen <dir>\``);
  }
  return ed25519(key, file, 'fleet private key');
}

export function readPublicKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readText(file, 'fleet public key'));
  } catch (error) {
    if (error instanceof VwcError) throw error;
    throw configError(`${file}: not a PEM public key (the .pub file of \`virt-webconsole fleet keygen\`)`);
  }
  return ed25519(key, file, 'fleet public key');
}

/** A token file's first line; at least 16 printable characters (`openssl rand -hex 32`). */
export function readToken(file: string): string {
  const token = (readText(file, 'fleet token').split('\n')[0] ?? '').trim();
  if (!/^[\x21-\x7e]{16,}$/.test(token)) {
    throw configError(
      `${file}: a fleet token is one line of at least 16 printable characters without spaces (e.g. \`openssl rand -hex 32 > ${file}\`)`,
    );
  }
  return token;
}

export const PRIVATE_KEY_NAME = 'fleet-entry.key';
export const PUBLIC_KEY_NAME = 'fleet-entry.pub';

/**
 * Writes a new pair into `dir`: the private key 0600 (entries only), the public key 0644 (every
 * host). Never overwrites: replacing a fleet's key is a rotation (docs/fleet.md), not an accident.
 */
export function writeKeyPair(dir: string): { privateKeyFile: string; publicKeyFile: string } {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const privateKeyFile = path.join(dir, PRIVATE_KEY_NAME);
  const publicKeyFile = path.join(dir, PUBLIC_KEY_NAME);
  for (const file of [privateKeyFile, publicKeyFile]) {
    if (existsSync(file))
      throw new VwcError(
        'VWC_ERR_BAD_REQUEST',
        `${file} exists; move it away first (keys are never overwritten)`,
      );
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  for (const [file, text, mode] of [
    [privateKeyFile, privateKey, 0o600],
    [publicKeyFile, publicKey, 0o644],
  ] as const) {
    try {
      writeFileSync(file, text, { mode, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new VwcError(
          'VWC_ERR_BAD_REQUEST',
          `${file} exists; move it away first (keys are never overwritten)`,
        );
      }
      throw error;
    }
  }
  return { privateKeyFile, publicKeyFile };
}

/**
 * Secrets the entries of a fleet share because they share the key: the key of users' credential
 * stamps and the seal of login-session ids, so a session made at one entry holds at every one.
 * Hosts never have the private key, so they can make neither.
 */
export function entrySecrets(privateKey: KeyObject): { stamps: Buffer; sessions: Buffer } {
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const derive = (purpose: string): Buffer =>
    createHash('sha256').update(`virt-webconsole fleet ${purpose}\0`).update(der).digest();
  return { stamps: derive('credential stamps'), sessions: derive('session seal') };
}
