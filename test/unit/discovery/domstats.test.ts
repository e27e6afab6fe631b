import { describe, expect, it } from 'vitest';
import { parseDomstats } from '../../../src/discovery/domstats.js';

describe('parseDomstats', () => {
  it('reads names, states and reasons from the numeric output', () => {
    const output = [
      "Domain: 'web 1'",
      '  state.state=1',
      '  state.reason=1',
      '',
      "Domain: 'it's odd'",
      '  state.state=5',
      '  state.reason=2',
      '',
      "Domain: 'paused'",
      '  state.state=3',
      '  state.reason=11',
      '',
      "Domain: 'strange'",
      '  state.state=42',
      '',
    ].join('\n');
    expect([...parseDomstats(output)]).toEqual([
      ['web 1', { state: 'running', reason: 'booted' }],
      ["it's odd", { state: 'shutoff', reason: 'destroyed' }],
      ['paused', { state: 'paused', reason: 'starting up' }],
      ['strange', { state: 'unknown', reason: null }],
    ]);
  });

  it('gives an empty map for no domains', () => {
    expect(parseDomstats('\n').size).toBe(0);
  });
});
