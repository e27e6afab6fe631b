import { describe, expect, it } from 'vitest';
import { parseSshCommand, resolveTarget } from '../../../src/ssh/index.js';

describe('parseSshCommand', () => {
  it('lists without a command', () => {
    expect(parseSshCommand(null)).toEqual({ kind: 'list' });
    expect(parseSshCommand('  ')).toEqual({ kind: 'list' });
  });

  it('names serial 0, /serialN and :N', () => {
    expect(parseSshCommand('web1')).toEqual({
      kind: 'console',
      candidates: [{ domain: 'web1', index: 0 }],
      historyBytes: null,
    });
    expect(parseSshCommand('web1/serial1')).toEqual({
      kind: 'console',
      candidates: [
        { domain: 'web1/serial1', index: 0 },
        { domain: 'web1', index: 1 },
      ],
      historyBytes: null,
    });
    expect(parseSshCommand('web1:3')).toMatchObject({ candidates: [{}, { domain: 'web1', index: 3 }] });
  });

  it('takes --no-history and --history=BYTES', () => {
    expect(parseSshCommand('web1 --no-history')).toMatchObject({ historyBytes: 0 });
    expect(parseSshCommand('web1:1 --history=4096')).toMatchObject({ historyBytes: 4096 });
  });

  it('refuses unknown options, an option first and overlong commands', () => {
    expect(parseSshCommand('web1 --shell')).toMatchObject({ kind: 'invalid' });
    expect(parseSshCommand('--no-history')).toMatchObject({ kind: 'invalid' });
    expect(parseSshCommand('x'.repeat(2000))).toMatchObject({ kind: 'invalid' });
  });
});

describe('resolveTarget', () => {
  const candidates = [
    { domain: 'web1:1', index: 0 },
    { domain: 'web1', index: 1 },
  ];
  it('prefers a domain named exactly so, then the port suffix', () => {
    expect(resolveTarget(candidates, (d) => d === 'web1:1' || d === 'web1')).toEqual(candidates[0]);
    expect(resolveTarget(candidates, (d) => d === 'web1')).toEqual(candidates[1]);
    expect(resolveTarget(candidates, () => false)).toBeNull();
  });
});
