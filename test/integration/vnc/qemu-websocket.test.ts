// QEMU's own VNC websocket listener (`<graphics … websocket='-1'/>`): silent until it gets an
// HTTP upgrade, so the bridge must detect it and speak WebSocket to it.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { domainXml } from '../../../harness/libvirt/domain-xml.js';
import { TEST_PREFIX, runId } from '../../../harness/libvirt/domains.js';
import { guestImage } from '../../../harness/libvirt/guest.js';
import { virsh, virshQuiet } from '../../../harness/libvirt/virsh.js';
import { startHarness, vncVm } from '../../../harness/vnc-server.js';
import { RfbTestClient } from './rfb-client.js';

describe('VNC bridge with a QEMU websocket listener', () => {
  // Named like TestDomains' domains, so a crashed run's leftover is reaped by the next run.
  const name = `${TEST_PREFIX}${runId()}-${process.pid}-vnc-websocket`;
  const folder = mkdtempSync(path.join(os.tmpdir(), 'vwc-vnc-ws-'));
  afterAll(async () => {
    await virshQuiet('destroy', name);
    await virshQuiet('undefine', name);
    rmSync(folder, { recursive: true, force: true });
  });

  it('detects the listener and relays RFB through it', async () => {
    // The test rig's XML with a websocket listener added to its TCP VNC graphics.
    const xml = domainXml({
      name,
      guest: guestImage(),
      serials: [{ type: 'pty' }],
      vnc: { type: 'tcp' },
    }).replace("<graphics type='vnc' autoport='yes'", "<graphics type='vnc' autoport='yes' websocket='-1'");
    expect(xml).toContain("websocket='-1'");
    const file = path.join(folder, 'domain.xml');
    writeFileSync(file, xml);
    await virsh('define', file);
    await virsh('start', name);
    const live = await virsh('dumpxml', name);
    const port = Number(/<graphics type='vnc'[^>]*websocket='(\d+)'/.exec(live)?.[1]);
    expect(port).toBeGreaterThan(0);

    const vm = vncVm(name, { transport: 'tcp', host: '127.0.0.1', port });
    const harness = await startHarness((n) => (n === name ? vm : undefined), { detectMs: 500 });
    try {
      const viewer = await RfbTestClient.overWebSocket(harness.url(name, 'viewer'));
      await viewer.requestUpdate();
      expect(viewer.serverInit?.width).toBeGreaterThan(0);
      viewer.close();
    } finally {
      await harness.close();
    }
  });
});
