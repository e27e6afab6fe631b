import { describe, expect, it } from 'vitest';
import {
  actionsForState,
  libvirtMessage,
  supportedActions,
  virshActionError,
  virshArgs,
} from '../../../src/control/index.js';
import { classifySocket, vmFromSockets } from '../../../src/discovery/socket-naming.js';

describe('power actions (pure)', () => {
  it('spells each action for virsh with the name as one argument', () => {
    expect(virshArgs('force-off', 'web 1')).toEqual(['destroy', '--domain', 'web 1']);
    expect(virshArgs('pause', 'a')).toEqual(['suspend', '--domain', 'a']);
  });

  it("takes libvirt's own message from virsh's stderr", () => {
    const stderr =
      "error: Failed to destroy domain 'x'\nerror: Requested operation is not valid: domain is not running\n";
    expect(libvirtMessage(stderr)).toBe('Requested operation is not valid: domain is not running');
    const conflict = virshActionError('force-off', stderr, null);
    expect(conflict.code).toBe('VWC_ERR_ACTION_CONFLICT');
    expect(conflict.httpStatus).toBe(409);
    expect(virshActionError('start', "error: failed to get domain 'x'\n", null).code).toBe(
      'VWC_ERR_NOT_FOUND',
    );
    expect(
      virshActionError('start', 'error: failed to connect to the hypervisor\nerror: no socket\n', null).code,
    ).toBe('VWC_ERR_ACTION_FAILED');
  });

  it('offers libvirt domains every action, QMP VMs five, others none', () => {
    expect(supportedActions({ source: 'libvirt' })).toHaveLength(7);
    expect(supportedActions({ source: 'socket-folder', qmp: '/run/vwc/a.qmp' })).toEqual([
      'shutdown',
      'reset',
      'force-off',
      'pause',
      'resume',
    ]);
    expect(supportedActions({ source: 'socket-folder' })).toEqual([]);
  });

  it('picks the actions that fit the state', () => {
    const all = supportedActions({ source: 'libvirt' });
    expect(actionsForState(all, 'shutoff')).toEqual(['start']);
    expect(actionsForState(all, 'paused')).toEqual(['resume', 'reset', 'force-off']);
    expect(actionsForState(all, 'running')).toContain('shutdown');
  });

  it('finds NAME.qmp in a socket folder', () => {
    expect(classifySocket('web.1.qmp')).toEqual({ vmName: 'web.1', role: { kind: 'qmp' } });
    const vm = vmFromSockets(
      'web',
      [
        { vmName: 'web', role: { kind: 'qmp' }, path: '/f/web.qmp' },
        { vmName: 'web', role: { kind: 'vnc' }, path: '/f/web.vnc' },
      ],
      'running',
    );
    expect(vm.qmp).toBe('/f/web.qmp');
    expect(
      vmFromSockets('x', [{ vmName: 'x', role: { kind: 'vnc' }, path: '/f/x.vnc' }], 'running').qmp,
    ).toBe(undefined);
  });
});
