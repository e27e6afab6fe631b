// VNC session recordings (docs/vnc.md "Recording", docs/interfaces.md):
//   GET  /api/domains/<d>/recordings           the recording under way and the list, newest first
//   POST /api/domains/<d>/recording/start      operators: start recording (everyone watching is told)
//   POST /api/domains/<d>/recording/stop       operators: stop it
//   GET  /api/domains/<d>/recordings/<id>      the file (`?play=1`: for the playback page)
// Starting and stopping need the operator role; reading needs `vncRecording.readableBy`
// (operators by default), on top of the domain ACL. Every start, stop, download and playback is
// an audit line.
import { createReadStream } from 'node:fs';
import type { Response, Router } from 'express';
import type { Logger } from 'pino';
import type { ConsoleHub, Role } from '../../bridge/types.js';
import type { VncRecordings } from '../../bridge/vnc/recording/index.js';
import type { Vm, VmRegistry } from '../../discovery/types.js';
import { VwcError } from '../../errors/index.js';
import type { Principal } from '../access.js';
import { param, principalOf, visibleVm } from './api.js';

export interface RecordingRouteDeps {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly logger: Logger;
  /** Who may read recordings (vncRecording.readableBy); operators by default. */
  readonly recordingReaders?: Role;
}

function recordingsOf(hub: ConsoleHub): VncRecordings {
  if (!hub.recordings)
    throw new VwcError(
      'VWC_ERR_RECORDING_UNAVAILABLE',
      'VNC recording is off (vncRecording.enabled is false)',
    );
  return hub.recordings;
}

function requireOperator(principal: Principal, what: string): void {
  if (principal.role !== 'operator') throw new VwcError('VWC_ERR_FORBIDDEN', `only operators may ${what}`);
}

export function addRecordingRoutes(router: Router, deps: RecordingRouteDeps): void {
  const readers = deps.recordingReaders ?? 'operator';
  const readable = (res: Response): { principal: Principal; vm: Vm; recordings: VncRecordings } => {
    const principal = principalOf(res);
    const vm = visibleVm(deps.registry, principal, param(res.req, 'name'));
    if (readers === 'operator') requireOperator(principal, 'see recordings (vncRecording.readableBy)');
    return { principal, vm, recordings: recordingsOf(deps.hub) };
  };

  router.get('/domains/:name/recordings', (_req, res) => {
    const { vm, recordings } = readable(res);
    res.json({ recording: recordings.state(vm.name), recordings: recordings.list(vm.name) });
  });

  router.post('/domains/:name/recording/:action', async (req, res) => {
    const principal = principalOf(res);
    const vm = visibleVm(deps.registry, principal, param(req, 'name'));
    const action = param(req, 'action');
    if (action !== 'start' && action !== 'stop') throw new VwcError('VWC_ERR_NOT_FOUND', 'not found');
    requireOperator(principal, `${action} recording`);
    const recordings = recordingsOf(deps.hub);
    if (action === 'start') {
      const recording = await recordings.begin(vm.name, principal.user);
      res.json({ recording });
      return;
    }
    const stopped = await recordings.end(vm.name, 'stopped', principal.user);
    res.json({ recording: null, stopped });
  });

  router.get('/domains/:name/recordings/:id', (req, res, next) => {
    const { principal, vm, recordings } = readable(res);
    const id = param(req, 'id');
    const file = recordings.file(vm.name, id);
    const play = req.query.play === '1';
    deps.logger.info(
      { user: principal.user, domain: vm.name, recording: id },
      play ? 'vnc recording played back' : 'vnc recording downloaded',
    );
    res.setHeader('content-type', 'application/octet-stream');
    if (!play) {
      const name = `${vm.name}-${id}.vncrec`;
      res.setHeader('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
    }
    const stream = createReadStream(file);
    stream.on('error', next);
    stream.pipe(res);
  });
}
