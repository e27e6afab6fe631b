// Field checks for the merged raw configuration. Every message names the setting, what was
// found and what would be accepted, so a typo is fixed from the message alone.
import { VwcError } from '../errors/index.js';

export function configError(where: string, message: string): VwcError {
  return new VwcError('VWC_ERR_CONFIG', `${where}: ${message}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function rejectUnknownKeys(
  where: string,
  value: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw configError(where, `unknown setting "${key}"; known settings are ${known.join(', ')}`);
    }
  }
}

export function str(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw configError(where, `expected a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function int(where: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw configError(where, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function oneOf<T extends string>(where: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw configError(where, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** A list given as an array (file) or a comma-separated string (env, flags). */
export function strList(where: string, value: unknown): string[] {
  const items =
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : value;
  if (!Array.isArray(items))
    throw configError(where, `expected a list of strings, got ${JSON.stringify(value)}`);
  return items.map((item, i) => str(`${where}[${i}]`, item));
}
