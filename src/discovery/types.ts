// The VM model every layer shares. Produced by discovery (domain XML parser, socket-folder
// source), held by the Registry, consumed by the bridges and the HTTP layer.
// Everything here is plain data: safe to serialise (no passwords, no handles).

/** libvirt's domain states (virsh domstate), plus `unknown` when a source cannot tell. */
export type DomainState =
  | 'nostate'
  | 'running'
  | 'blocked'
  | 'paused'
  | 'shutdown'
  | 'shutoff'
  | 'crashed'
  | 'pmsuspended'
  | 'unknown';

/** Where a serial console's bytes can be read and written. */
export type SerialSource =
  /** A pty; `path` is null until the live XML of a running domain resolves it (/dev/pts/N). */
  | { readonly kind: 'pty'; readonly path: string | null }
  /** A UNIX stream socket; mode `bind` means QEMU listens (we connect). */
  | { readonly kind: 'unix'; readonly path: string; readonly mode: 'bind' | 'connect' }
  /** A TCP socket; a wildcard host is reached on loopback. `protocol` is libvirt's (raw, telnet, tls …). */
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      readonly mode: 'bind' | 'connect';
      readonly protocol: string;
    }
  /** A QEMU socket chardev with `websocket=on` (socket-folder VMs): speaks WebSocket, 16-byte input frames. */
  | { readonly kind: 'websocket'; readonly path: string }
  /** Present in the XML but not something we can attach to (file, null, vc, stdio, spicevmc …). */
  | { readonly kind: 'unsupported'; readonly type: string };

export interface SerialEndpoint {
  /** Position in Vm.serials; the `<n>` of /console/<domain>/serial/<n>. Serial ports first by port, then consoles. */
  readonly index: number;
  /** `serial` for a <serial> element, `console` for a standalone <console> (e.g. virtio). */
  readonly element: 'serial' | 'console';
  /** The target port number from the XML (<target port='N'/>), or null when absent. */
  readonly port: number | null;
  /** Target type (isa-serial, virtio, pci-serial, usb-serial, serial …) when given. */
  readonly targetType: string | null;
  /** libvirt's device alias (serial0, console1 …) when present in live XML. */
  readonly alias: string | null;
  readonly source: SerialSource;
  /** <log file='…'/> when libvirt also logs this chardev to a file. */
  readonly logFile: string | null;
}

/** How to reach a VNC server. A wildcard listen address (0.0.0.0, ::) is already mapped to loopback. */
export type VncTarget =
  | { readonly transport: 'unix'; readonly path: string }
  | { readonly transport: 'tcp'; readonly host: string; readonly port: number };

export interface VncEndpoint {
  /** null when the port is not known yet (autoport on a domain that is not running). */
  readonly target: VncTarget | null;
  /** QEMU's own websocket listener port (`websocket=` attribute), resolved in live XML. */
  readonly websocketPort: number | null;
  /** Whether a VNC password is configured. The password itself is never kept. */
  readonly passwordSet: boolean;
}

/** A SPICE server (`<graphics type='spice'>`); its channels all connect to `target`. */
export interface SpiceEndpoint {
  /** The plaintext port or UNIX socket; null when not known yet (autoport, not running) or none. */
  readonly target: VncTarget | null;
  /** The TLS port when one is configured (not relayed: spice-html5 has no TLS inside the WebSocket). */
  readonly tlsPort: number | null;
  /** Whether a SPICE password is configured. The password itself is never kept. */
  readonly passwordSet: boolean;
}

/** Every <graphics> device, including ones we cannot serve (listed so the UI can say so). */
export interface GraphicsDevice {
  readonly type: string; // vnc, spice, rdp, sdl, egl-headless, dbus …
  readonly supported: boolean;
}

export type VmSourceKind = 'libvirt' | 'socket-folder';

export interface Vm {
  /** The name `virsh list` shows; the key of the registry and the `<domain>` of URLs. */
  readonly name: string;
  readonly uuid: string | null;
  /** libvirt's numeric id while running (changes on every start), else null. */
  readonly id: number | null;
  readonly title: string | null;
  readonly description: string | null;
  readonly state: DomainState;
  /** libvirt's state reason (e.g. `booted`, `destroyed`) when known. */
  readonly reason: string | null;
  readonly source: VmSourceKind;
  /** Defined persistently (has /etc/libvirt/qemu/NAME.xml) as opposed to transient. */
  readonly persistent: boolean;
  /** The first VNC graphics device, if any. */
  readonly vnc: VncEndpoint | null;
  /** The first SPICE graphics device, if any (absent: a source that has none, e.g. socket folders). */
  readonly spice?: SpiceEndpoint | null;
  readonly graphics: readonly GraphicsDevice[];
  readonly serials: readonly SerialEndpoint[];
  /**
   * A QMP monitor socket the daemon may send power actions to (a socket-folder VM's NAME.qmp);
   * absent or null = none (libvirt domains are controlled through virsh).
   */
  readonly qmp?: string | null;
}

/** What changed between two versions of a Vm, for `vm-changed` listeners. */
export type VmChange = 'state' | 'id' | 'serials' | 'vnc' | 'spice' | 'graphics' | 'meta';

export interface RegistryEvents {
  'vm-added': [vm: Vm];
  'vm-changed': [vm: Vm, previous: Vm, changes: readonly VmChange[]];
  'vm-removed': [vm: Vm];
  /** The guest reset itself (libvirt's `reboot` event): same VM, same boot id, new boot inside. */
  'vm-reset': [vm: Vm];
  'source-status': [status: SourceStatus];
}

export interface SourceStatus {
  readonly source: VmSourceKind;
  readonly up: boolean;
  /** Human-readable reason when down (e.g. "libvirtd not answering on qemu:///system"). */
  readonly detail: string | null;
}

/** The read side of the registry that the bridges and HTTP layer depend on. */
export interface VmRegistry {
  snapshot(): readonly Vm[];
  get(name: string): Vm | undefined;
  sources(): readonly SourceStatus[];
  on<E extends keyof RegistryEvents>(event: E, listener: (...args: RegistryEvents[E]) => void): this;
  off<E extends keyof RegistryEvents>(event: E, listener: (...args: RegistryEvents[E]) => void): this;
}
