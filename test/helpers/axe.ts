// axe-core in a page: injects npm's axe.min.js (the browser context needs bypassCSP, since the
// pages' CSP forbids injected scripts) and runs it on the whole document. The caller fails on
// what serious() returns; format() prints each violation with the elements it found.
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: string; readonly summary: string }[];
}

interface AxeWindow {
  axe: {
    run(
      context: Document,
      options: { resultTypes: string[] },
    ): Promise<{
      violations: {
        id: string;
        impact?: string | null;
        help: string;
        nodes: { target: unknown[]; failureSummary?: string }[];
      }[];
    }>;
  };
}

/** Every axe violation on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SCRIPT });
  return page.evaluate(async () => {
    const result = await (window as unknown as AxeWindow).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.map(String).join(' '),
        summary: n.failureSummary ?? '',
      })),
    }));
  });
}

/** The violations a page must not have: impact serious or critical. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  return (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function formatViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map(
      (v) =>
        `${v.impact ?? '?'} ${v.id}: ${v.help}\n` +
        v.nodes.map((n) => `  ${n.target}\n    ${n.summary.replace(/\n/g, '\n    ')}`).join('\n'),
    )
    .join('\n');
}

export const THEMES = ['light', 'dark'] as const;

/**
 * Runs axe on the page as it is now in the light and then the dark theme: the pages follow
 * prefers-color-scheme live while no theme is chosen (theme.classic.ts), so one page covers
 * both. Returns "what (theme): rule-id" for each serious or critical violation (printed in full
 * on stderr), empty when both pass; leaves the page in the light theme.
 */
export async function violationsInThemes(page: Page, what: string): Promise<string[]> {
  const found: string[] = [];
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme });
    await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
    const violations = await seriousViolations(page);
    if (violations.length > 0) console.error(`axe on ${what} (${theme}):\n${formatViolations(violations)}`);
    found.push(...violations.map((v) => `${what} (${theme}): ${v.id}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}
