// What an SSH session asks for: the exec command (or nothing, for a shell) names a console.
//   web1            serial 0 of web1
//   web1/serial1    serial 1        web1:1   the same
//   (nothing)       the list of VMs the user may see
// followed by options: `--no-history` (attach at the live end) or `--history=BYTES`.
// Pure; the server checks the name against the registry (a domain literally named `web1:1` wins
// over serial 1 of `web1`).

export type SshRequest =
  | { readonly kind: 'list' }
  | {
      readonly kind: 'console';
      /** Candidates in order of preference: the whole name, then the name with a port suffix. */
      readonly candidates: readonly { readonly domain: string; readonly index: number }[];
      /** Bytes of history to replay; null = the configured default. */
      readonly historyBytes: number | null;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

const SUFFIX = /^(.+?)(?:\/serial(\d{1,4})|:(\d{1,4}))$/;
const MAX_COMMAND = 1024;

export function parseSshCommand(command: string | null): SshRequest {
  if (command === null) return { kind: 'list' };
  if (command.length > MAX_COMMAND) return { kind: 'invalid', reason: 'the command is too long' };
  const words = command
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return { kind: 'list' };
  const [name, ...options] = words as [string, ...string[]];
  let historyBytes: number | null = null;
  for (const option of options) {
    const history = /^--history=(\d{1,10})$/.exec(option);
    if (option === '--no-history') historyBytes = 0;
    else if (history) historyBytes = Number(history[1]);
    else {
      return {
        kind: 'invalid',
        reason: `unknown option ${JSON.stringify(option)}; options are --no-history and --history=BYTES`,
      };
    }
  }
  if (name.startsWith('-')) {
    return { kind: 'invalid', reason: `expected a console name first, got ${JSON.stringify(name)}` };
  }
  const candidates = [{ domain: name, index: 0 }];
  const match = SUFFIX.exec(name);
  if (match) candidates.push({ domain: match[1]!, index: Number(match[2] ?? match[3]) });
  return { kind: 'console', candidates, historyBytes };
}

/** The first candidate whose domain exists, or null. */
export function resolveTarget(
  candidates: readonly { readonly domain: string; readonly index: number }[],
  exists: (domain: string) => boolean,
): { readonly domain: string; readonly index: number } | null {
  return candidates.find((c) => exists(c.domain)) ?? null;
}
