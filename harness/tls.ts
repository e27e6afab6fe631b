// A throwaway self-signed certificate for 127.0.0.1 and localhost (openssl, valid one day).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Writes cert.pem and key.pem into `dir` and returns their paths. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost']
      .concat(['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'])
      .concat(['-keyout', key, '-out', cert]),
    { stdio: 'ignore' },
  );
  return { cert, key };
}
