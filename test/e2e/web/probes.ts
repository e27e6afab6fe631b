// What the web e2e tests read from the pages: the serial terminal's buffer (window.__vwc), the
// noVNC canvas's lit pixels, and a deadline poll. Usable against the fake or the real daemon.
import type { Page } from 'playwright-core';

/** Polls `probe` until it returns a truthy value (or throws the last failure at the deadline). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T> | T,
  timeoutMs = 30_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The serial terminal's whole buffer (scrollback + screen) as text lines. */
export function termText(page: Page, index = 0): Promise<string> {
  return page.evaluate((i) => {
    const handle = window.__vwc.serial[i];
    if (!handle) return '';
    const buffer = handle.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < buffer.length; y += 1) lines.push(buffer.getLine(y)?.translateToString(true) ?? '');
    return lines.join('\n');
  }, index);
}

export function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** Pixels of the noVNC canvas brighter than near-black (VGA text lights a few thousand). */
export function litPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('.vnc-screen canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || canvas.width === 0) return 0;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! + data[i + 1]! + data[i + 2]! > 96) lit += 1;
    return lit;
  });
}

/**
 * On a list page already loaded: `running` shows as running, `spare` (stopped) as shut off, and
 * starting then stopping `spare` changes its row without a reload (only the event stream can).
 */
export async function expectLiveList(
  page: Page,
  running: string,
  spare: { readonly name: string; start(): Promise<void>; destroy(): Promise<void> },
): Promise<void> {
  const row = (name: string) => page.locator(`tr[data-name="${name}"]`);
  const shows = (name: string, state: string) =>
    waitFor(`${name} listed as ${state}`, async () => (await row(name).innerText()).includes(state));
  await shows(running, 'running');
  await shows(spare.name, 'shut');
  await spare.start();
  await shows(spare.name, 'running');
  await spare.destroy();
  await shows(spare.name, 'shut');
}

/** Presses Enter until the prompt shows again (the shell may still be booting). */
export async function typeUntilPrompt(page: Page, prompt: string): Promise<void> {
  await page.locator('.serial-screen').click();
  const before = count(await termText(page), prompt);
  await waitFor(
    `prompt ${prompt}`,
    async () => {
      if (count(await termText(page), prompt) > before) return true;
      await page.keyboard.press('Enter');
      await new Promise((r) => setTimeout(r, 700));
      return count(await termText(page), prompt) > before;
    },
    60_000,
  );
}
