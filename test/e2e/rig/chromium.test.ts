// The browser harness: Debian's Chromium loads a page served on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchBrowser, type Browser } from '../../helpers/browser.js';

describe('Chromium harness', () => {
  let server: http.Server;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><title>rig</title><p id="x">hello</p><script>document.getElementById("x").textContent += " from script"</script>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('loads a page and runs its script', async () => {
    const page = await browser.context.newPage();
    await page.goto(url);
    expect(await page.title()).toBe('rig');
    expect(await page.locator('#x').textContent()).toBe('hello from script');
  });
});
