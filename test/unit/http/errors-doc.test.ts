// The error table in the docs lists every code of the catalogue with its HTTP status, WebSocket
// close code and meaning, and nothing else. Point ERRORS_DOC at the file holding the table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../../src/errors/index.js';

export const ERRORS_DOC = 'README.md';

interface Row {
  readonly http: number;
  readonly ws: number;
  readonly summary: string;
}

/** Rows `| \`VWC_ERR_X\` | 401 | 1008 | meaning |`; a `\|` inside the meaning is a literal pipe. */
function parseTable(markdown: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of markdown.split('\n')) {
    const match = /^\|\s*`(VWC_ERR_[A-Z_]+)`\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (!match) continue;
    const [, code, http, ws, summary] = match;
    expect(rows.has(code!), `${code} listed twice`).toBe(false);
    rows.set(code!, { http: Number(http), ws: Number(ws), summary: summary!.replace(/\\\|/g, '|') });
  }
  return rows;
}

describe(`error table in ${ERRORS_DOC}`, () => {
  it('matches the catalogue exactly', () => {
    const rows = parseTable(readFileSync(ERRORS_DOC, 'utf8'));
    const expected = new Map(
      Object.entries(ERRORS).map(([code, spec]) => [
        code,
        { http: spec.http, ws: spec.ws, summary: spec.summary },
      ]),
    );
    // On a mismatch the message carries the rows as they should read, ready to paste.
    const table = [...expected]
      .map(([code, s]) => `| \`${code}\` | ${s.http} | ${s.ws} | ${s.summary.replace(/\|/g, '\\|')} |`)
      .join('\n');
    const hint = `${ERRORS_DOC} is out of step with src/errors; its rows should read:\n${table}\n`;
    expect([...rows.keys()].sort(), hint).toEqual([...expected.keys()].sort());
    for (const [code, row] of rows) expect(row, `${code}: ${hint}`).toEqual(expected.get(code));
  });
});
