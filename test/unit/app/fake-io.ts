// Streams for driving a command in a test: stdin from a string, stdout and stderr kept apart
// (help belongs on stdout, mistakes on stderr).
import { Readable, Writable } from 'node:stream';
import type { CommandIo } from '../../../src/app/index.js';

export interface FakeIo extends CommandIo {
  out(): string;
  err(): string;
}

export function fakeIo(
  stdinText = '',
  env: Readonly<Record<string, string | undefined>> = {},
  stdin: CommandIo['stdin'] = Readable.from([stdinText]),
): FakeIo {
  let out = '';
  let err = '';
  // Kept synchronously, so the text is complete as soon as the command resolves.
  const sink = (add: (text: string) => void): Writable =>
    new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        add(chunk.toString());
        done();
      },
    });
  return {
    stdin,
    stdout: sink((text) => (out += text)),
    stderr: sink((text) => (err += text)),
    env,
    out: () => out,
    err: () => err,
  };
}
