// What Chromium sends on a same-origin WebSocket upgrade after the page was opened with Basic
// credentials: the test records which way the upgrade authenticated (`via` in the attach log),
// and checks the ticket path works from a page too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from '../../helpers/browser.js';
import { fakeVm, startHarness, type Harness } from '../../../harness/http-server.js';

// External script only: the CSP forbids inline scripts.
const PROBE = `
const out = document.getElementById('out');
const domain = '<img src=x onerror=alert(1)>';
function attempt(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.onmessage = (e) => { resolve('open ' + e.data); ws.close(); };
    ws.onclose = (e) => resolve('closed ' + e.code);
  });
}
(async () => {
  const base = 'ws://' + location.host + '/ws/serial/' + encodeURIComponent(domain) + '/0';
  const basic = await attempt(base);
  const res = await fetch('/api/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ domain, console: 'serial', index: 0 }),
  });
  const { ticket } = await res.json();
  const viaTicket = await attempt(base + '?ticket=' + encodeURIComponent(ticket));
  out.textContent = JSON.stringify({ basic, viaTicket });
})();
`;

describe('Chromium and WebSocket credentials', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    h = await startHarness({
      webFiles: {
        'list.html':
          '<!doctype html><title>probe</title><pre id="out"></pre><script src="/assets/probe.js"></script>',
        'console.html': '<!doctype html><title>console</title>',
        'probe.js': PROBE,
      },
    });
    h.registry.set(fakeVm('<img src=x onerror=alert(1)>'));
    browser = await launchBrowser({
      httpCredentials: { username: 'victor', password: 'victor-pw' },
      basicOnChallengeOnly: true,
    });
  });
  afterAll(async () => {
    await browser.close();
    await h.close();
  });

  it('sends the page’s Basic credentials on a same-origin upgrade, and tickets work too', async () => {
    const page = await browser.context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // A page load without credentials goes to the login form; `/api` answers a Basic challenge,
    // and Chromium then sends the credentials it was given for the whole site `/`.
    await page.goto(`${h.base}/api`);
    await page.goto(`${h.base}/`);
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== '', undefined, {
      timeout: 30_000,
    });
    const result = JSON.parse((await page.locator('#out').textContent()) ?? '{}') as {
      basic: string;
      viaTicket: string;
    };
    expect(result.basic).toMatch(/^open /);
    expect(result.viaTicket).toMatch(/^open /);
    expect(JSON.parse(result.basic.slice('open '.length))).toMatchObject({
      user: 'victor',
      role: 'viewer',
      vm: '<img src=x onerror=alert(1)>',
    });
    const attaches = h.logs.lines.filter((l) => l.msg === 'console attach');
    expect(attaches.map((l) => l.via)).toEqual(['basic', 'ticket']);
    expect(dialogs).toEqual([]);
  });
});
