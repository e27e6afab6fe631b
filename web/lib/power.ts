// Power buttons (start, shut down, reboot, reset, force off, pause, resume) for the list and
// console pages. The server decides who may do what (`item.actions` is empty for viewers);
// this only picks the buttons that fit the VM's state and asks before destructive ones.
import type { PowerAction } from '../../src/control/index.js';
import { fetchJson } from './api.js';
import { h } from './dom.js';
import { domainApiPath } from './paths.js';
import type { DomainItem } from './types.js';

export type { PowerAction };

const LABEL: Readonly<Record<PowerAction, string>> = {
  start: 'Start',
  shutdown: 'Shut down',
  reboot: 'Reboot',
  reset: 'Reset',
  'force-off': 'Force off',
  pause: 'Pause',
  resume: 'Resume',
};

const HINT: Readonly<Record<PowerAction, string>> = {
  start: 'Start the VM',
  shutdown: 'Ask the guest to power off (ACPI power button)',
  reboot: 'Ask the guest to reboot',
  reset: 'Hard reset, like the reset button: unsaved data in the guest is lost',
  'force-off': 'Pull the plug: unsaved data in the guest is lost',
  pause: 'Freeze the VM (its memory stays)',
  resume: 'Let a paused VM run again',
};

const DESTRUCTIVE: readonly PowerAction[] = ['reset', 'force-off'];

/** The actions that fit `state` (the same table as the server's actionsForState). */
export function actionsFor(item: DomainItem): PowerAction[] {
  const s = item.state;
  const wanted: readonly PowerAction[] =
    s === 'running' || s === 'blocked'
      ? ['shutdown', 'reboot', 'reset', 'pause', 'force-off']
      : s === 'paused' || s === 'pmsuspended'
        ? ['resume', 'reset', 'force-off']
        : s === 'shutoff' || s === 'crashed' || s === 'nostate'
          ? ['start']
          : s === 'shutdown'
            ? ['force-off']
            : [];
  return wanted.filter((a) => item.actions.includes(a));
}

export function actionPath(domain: string, action: PowerAction): string {
  return `${domainApiPath(domain)}/actions/${action}`;
}

export async function runAction(domain: string, action: PowerAction): Promise<void> {
  await fetchJson(actionPath(domain, action), { method: 'POST' });
}

export interface PowerButtonsOptions {
  /** Shown when an action fails (libvirt's message) or succeeds. */
  readonly report: (text: string, kind: 'error' | 'info') => void;
  /** Larger buttons (the console page's Start in place of the console). */
  readonly primary?: readonly PowerAction[];
}

/** A group of buttons for `item`'s current state; empty when the user may do nothing. */
export function powerButtons(item: DomainItem, options: PowerButtonsOptions): HTMLElement {
  const group = h('span', { class: 'power', role: 'group', 'aria-label': `Power actions for ${item.name}` });
  for (const action of actionsFor(item)) {
    const button = h(
      'button',
      {
        type: 'button',
        class: `power-${action}${options.primary?.includes(action) ? ' primary' : ''}${DESTRUCTIVE.includes(action) ? ' destructive' : ''}`,
        title: HINT[action],
        'data-action': action,
      },
      LABEL[action],
    );
    button.addEventListener('click', () => {
      if (DESTRUCTIVE.includes(action) && !confirm(`${LABEL[action]} ${item.name}? ${HINT[action]}.`)) return;
      button.disabled = true;
      runAction(item.name, action).then(
        () => {
          button.disabled = false;
          options.report(`${LABEL[action]}: sent to ${item.name}.`, 'info');
        },
        (error: unknown) => {
          button.disabled = false;
          options.report(
            `${LABEL[action]} failed: ${error instanceof Error ? error.message : String(error)}`,
            'error',
          );
        },
      );
    });
    group.appendChild(button);
  }
  return group;
}
