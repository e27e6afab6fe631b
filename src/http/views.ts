// The JSON shape of a domain for the API and the event stream (docs/interfaces.md). Only data
// the page needs: no socket paths, no pty paths, no ports.
import type { ConsoleHub } from '../bridge/types.js';
import { supportedActions, type PowerAction } from '../control/index.js';
import type { Vm } from '../discovery/types.js';
import type { Principal } from './access.js';

export interface DomainItem {
  readonly name: string;
  readonly title: string | null;
  readonly description: string | null;
  readonly state: Vm['state'];
  readonly source: Vm['source'];
  readonly consoles: {
    readonly vnc: { readonly available: boolean; readonly passwordSet: boolean } | null;
    /** Absent from older daemons; null when the VM has no SPICE graphics. */
    readonly spice?: { readonly available: boolean; readonly passwordSet: boolean } | null;
    readonly serials: readonly {
      readonly index: number;
      readonly label: string;
      readonly kind: string;
      readonly available: boolean;
    }[];
    readonly unsupportedGraphics: readonly string[];
  };
  readonly access: { readonly role: Principal['role']; readonly canType: boolean };
  /**
   * Power actions this user may ask for on this VM, whatever its state (the pages pick the ones
   * that fit the state): none for viewers, and none for a VM without libvirt or a QMP socket.
   */
  readonly actions: readonly PowerAction[];
}

export function domainItem(vm: Vm, principal: Principal, hub: ConsoleHub): DomainItem {
  return {
    name: vm.name,
    title: vm.title,
    description: vm.description,
    state: vm.state,
    source: vm.source,
    consoles: {
      vnc: vm.vnc ? { available: hub.vncAvailable(vm.name).ok, passwordSet: vm.vnc.passwordSet } : null,
      spice: vm.spice
        ? { available: hub.spiceAvailable(vm.name).ok, passwordSet: vm.spice.passwordSet }
        : null,
      serials: vm.serials.map((s) => ({
        index: s.index,
        label: s.alias ?? `${s.element}${s.index}`,
        kind: s.source.kind,
        available: hub.serialAvailable(vm.name, s.index).ok,
      })),
      unsupportedGraphics: vm.graphics.filter((g) => !g.supported).map((g) => g.type),
    },
    access: { role: principal.role, canType: principal.role === 'operator' },
    actions: principal.role === 'operator' ? supportedActions(vm) : [],
  };
}

export function visibleItems(vms: readonly Vm[], principal: Principal, hub: ConsoleHub): DomainItem[] {
  return vms
    .filter((vm) => principal.canSee(vm.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((vm) => domainItem(vm, principal, hub));
}
