// DES for VNC authentication (RFC 6143 §7.2.2), from node:crypto. Node 20's OpenSSL 3 keeps
// single `des-ecb` in its legacy provider (refused without --openssl-legacy-provider), but
// triple DES is in the default one, and triple DES (encrypt K1, decrypt K2, encrypt K3) with one
// key three times is single DES with that key.
import { createCipheriv } from 'node:crypto';

/** Encrypts 8-byte blocks (ECB) with an 8-byte key (parity bits ignored, as DES does). */
export function desEncryptBlocks(key: Uint8Array, blocks: Uint8Array): Buffer {
  if (key.length !== 8 || blocks.length % 8 !== 0) {
    throw new RangeError('DES takes an 8-byte key and whole 8-byte blocks');
  }
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(blocks), cipher.final()]);
}

/**
 * The answer to a VNC authentication challenge: the 16 challenge bytes DES-encrypted (two ECB
 * blocks) with the password as key — its first 8 bytes, zero-padded, each byte's bits mirrored
 * (how the original VNC code loaded the key; every server does the same).
 */
export function vncAuthResponse(password: string, challenge: Uint8Array): Buffer {
  if (challenge.length !== 16) throw new RangeError('a VNC challenge is 16 bytes');
  const key = Buffer.alloc(8);
  Buffer.from(password, 'utf8').copy(key, 0, 0, 8);
  for (let i = 0; i < 8; i += 1) key[i] = mirror(key[i]!);
  return desEncryptBlocks(key, challenge);
}

function mirror(byte: number): number {
  let out = 0;
  for (let i = 0; i < 8; i += 1) out |= ((byte >> i) & 1) << (7 - i);
  return out;
}
