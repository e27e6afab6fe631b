// `virt-webconsole fleet keygen <dir>` and `fleet nginx-config <config>` (docs/fleet.md).
import { loadConfig, parseListen, type ListenAddress } from '../config/index.js';
import { nginxConfig, writeKeyPair } from '../fleet/index.js';
import { fail, fullUsage, parseCommand, UsageError, type CommandIo } from './usage.js';

export function runFleet(argv: readonly string[], io: CommandIo): number {
  try {
    const { help, values, operands } = parseCommand('fleet', argv);
    if (help) {
      io.stdout.write(fullUsage('fleet'));
      return 0;
    }
    const [action, operand] = operands as [string, string];
    const listen = values.listen;
    const entries = (values.entry ?? []) as string[];
    if (action === 'keygen') {
      if (typeof listen === 'string') throw new UsageError('fleet', '--listen goes with nginx-config');
      if (entries.length > 0) throw new UsageError('fleet', '--entry goes with nginx-config');
      const { privateKeyFile, publicKeyFile } = writeKeyPair(operand);
      io.stdout.write(
        `private key (entries: fleet.entry.privateKeyFile): ${privateKeyFile}\n` +
          `public key (hosts: fleet.host.entryPublicKeyFiles): ${publicKeyFile}\n`,
      );
      return 0;
    }
    if (action === 'nginx-config') {
      const config = loadConfig({ argv: ['--config', operand], ...(io.env ? { env: io.env } : {}) });
      io.stdout.write(
        nginxConfig(config, {
          ...(typeof listen === 'string' ? { listen } : {}),
          entries: entries.map(entryAddress),
        }),
      );
      return 0;
    }
    throw new UsageError(
      'fleet',
      `unknown fleet command ${JSON.stringify(action)}; use keygen or nginx-config`,
    );
  } catch (error) {
    return fail(io, error);
  }
}

/** An `--entry` value: another entry's address as nginx connects to it. */
function entryAddress(text: string): ListenAddress {
  const mistake = new UsageError(
    'fleet',
    `--entry ${JSON.stringify(text)}: expected another entry's HOST:PORT (10.0.0.6:8080, [fd00::6]:8080) or unix:/path`,
  );
  let address: ListenAddress;
  try {
    address = parseListen(text);
  } catch {
    throw mistake;
  }
  // Every-address binds are how an entry listens, not where nginx can reach it.
  if (address.kind === 'tcp' && (address.host === '0.0.0.0' || address.host === '::')) throw mistake;
  return address;
}
