import { describe, expect, it } from 'vitest';
import { EscapeParser, type EscapeAction } from '../../../src/ssh/index.js';

/** Feeds each string as one packet; data joined, commands as `<name>`. */
function run(...packets: string[]): string {
  const parser = new EscapeParser();
  return packets
    .flatMap((p) => parser.feed(Buffer.from(p, 'latin1')))
    .map((a: EscapeAction) => (a.kind === 'data' ? a.data.toString('latin1') : `<${a.command}>`))
    .join('');
}

describe('EscapeParser', () => {
  it('takes the escapes at the start of the session and after a line break', () => {
    expect(run('~.')).toBe('<detach>');
    expect(run('ls\r~?')).toBe('ls\r<help>');
    expect(run('ls\n~w')).toBe('ls\n<take-lock>');
    expect(run('x\r~b')).toBe('x\r<break>');
  });

  it('passes a ~ that is not at a line start, and ~~ as one ~', () => {
    expect(run('a~.')).toBe('a~.');
    expect(run('~~')).toBe('~');
    // After ~~ the line no longer starts: a following ~. is typed text.
    expect(run('~~~.')).toBe('~~.');
  });

  it('passes ~ and an unknown letter both through, the letter counted as usual', () => {
    expect(run('~x')).toBe('~x');
    expect(run('~\r~.')).toBe('~\r<detach>');
  });

  it('keeps the state across packets', () => {
    expect(run('echo hi\r', '~', '.')).toBe('echo hi\r<detach>');
    expect(run('abc', '~', '.')).toBe('abc~.');
  });

  it('stays at a line start after an escape, so escapes can follow one another', () => {
    expect(run('~?~w~.')).toBe('<help><take-lock><detach>');
  });

  it('passes binary and control bytes untouched', () => {
    const bytes = String.fromCharCode(0, 3, 0x1b, 0xff, 0x7e, 0x80);
    expect(run(bytes)).toBe(bytes);
  });
});
