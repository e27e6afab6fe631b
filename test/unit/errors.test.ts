import { describe, expect, it } from 'vitest';
import { ERRORS, VwcError, isVwcError } from '../../src/errors/index.js';

describe('error catalogue', () => {
  it('gives every code an HTTP status and a WebSocket close code in range', () => {
    for (const [code, spec] of Object.entries(ERRORS) as [string, { http: number; ws: number }][]) {
      expect(code).toMatch(/^VWC_ERR_[A-Z_]+$/);
      expect(spec.http).toBeGreaterThanOrEqual(400);
      expect(spec.http).toBeLessThan(600);
      expect([1000, 1001, 1008, 1009, 1011].includes(spec.ws) || (spec.ws >= 4000 && spec.ws < 5000)).toBe(
        true,
      );
    }
  });

  it('carries its code into status and close code', () => {
    const error = new VwcError('VWC_ERR_VIRSH_TIMEOUT', 'virsh list took too long');
    expect(error.httpStatus).toBe(504);
    expect(error.wsCloseCode).toBe(1011);
    expect(isVwcError(error, 'VWC_ERR_VIRSH_TIMEOUT')).toBe(true);
    expect(isVwcError(error, 'VWC_ERR_CONFIG')).toBe(false);
    expect(isVwcError(new Error('x'))).toBe(false);
  });
});
