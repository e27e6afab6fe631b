// `virt-webconsole ssh-fingerprint`: the SSH host key's fingerprint, for users to compare with
// what OpenSSH shows on their first connection (`ssh-keygen -l -f` prints the same), and its
// known_hosts line. Reads only: the key is made by serve's first start with ssh.listen set.
import { loadConfig } from '../config/index.js';
import { VwcError, isVwcError } from '../errors/index.js';
import { hostKeyPath, readHostKey } from '../ssh/index.js';
import { fail, fullUsage, parseCommand, type CommandIo } from './usage.js';

export function runSshFingerprint(argv: readonly string[], io: CommandIo): number {
  try {
    const { help, values } = parseCommand('ssh-fingerprint', argv);
    if (help) {
      io.stdout.write(fullUsage('ssh-fingerprint'));
      return 0;
    }
    const args = ['config', 'state-dir'].flatMap((name) => {
      const value = values[name];
      return typeof value === 'string' ? [`--${name}`, value] : [];
    });
    const config = loadConfig({ argv: args, ...(io.env ? { env: io.env } : {}) });
    let key;
    try {
      key = readHostKey(config.stateDir);
    } catch (error) {
      if (isVwcError(error, 'VWC_ERR_SSH_HOST_KEY') && /ENOENT/.test(error.message)) {
        throw new VwcError(
          'VWC_ERR_SSH_HOST_KEY',
          `no SSH host key at ${hostKeyPath(config.stateDir)} yet: serve makes it on its first start with ssh.listen set`,
        );
      }
      throw error;
    }
    io.stdout.write(`256 ${key.fingerprint} ${hostKeyPath(config.stateDir)} (ED25519)\n${key.publicKey}\n`);
    return 0;
  } catch (error) {
    return fail(io, error);
  }
}
