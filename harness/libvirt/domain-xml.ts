// Domain XML for test guests. Software emulation (`type='qemu'`), 128 MiB (64 does not boot),
// the TCG code cache capped at 32 MiB (the default is 1 GiB per guest).
import type { GuestImage } from './guest.js';

export type SerialSpec =
  | { readonly type: 'pty' }
  | { readonly type: 'unix'; readonly path: string }
  | { readonly type: 'tcp'; readonly port: number; readonly protocol?: 'raw' | 'telnet' };

export type VncSpec =
  | { readonly type: 'unix'; readonly path: string; readonly password?: string }
  | { readonly type: 'tcp'; readonly password?: string }
  | null;

/** SPICE graphics (with qxl video): TCP autoport on 127.0.0.1, or a UNIX socket. */
export type SpiceSpec =
  | { readonly type: 'unix'; readonly path: string; readonly password?: string }
  | { readonly type: 'tcp'; readonly password?: string }
  | null;

export interface DomainSpec {
  readonly name: string;
  readonly guest: GuestImage;
  readonly serials: readonly SerialSpec[];
  readonly vnc: VncSpec;
  /** Default none. With SPICE the video card is qxl. */
  readonly spice?: SpiceSpec;
  readonly title?: string;
  readonly memoryMiB?: number;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function serialXml(spec: SerialSpec, port: number): string {
  const target = `<target port='${port}'/>`;
  switch (spec.type) {
    case 'pty':
      return `<serial type='pty'>${target}</serial>`;
    case 'unix':
      return `<serial type='unix'><source mode='bind' path='${escapeXml(spec.path)}'/>${target}</serial>`;
    case 'tcp':
      return (
        `<serial type='tcp'><source mode='bind' host='127.0.0.1' service='${spec.port}'/>` +
        `<protocol type='${spec.protocol ?? 'raw'}'/>${target}</serial>`
      );
  }
}

function vncXml(spec: VncSpec): string {
  if (spec === null) return '';
  const passwd = spec.password === undefined ? '' : ` passwd='${escapeXml(spec.password)}'`;
  if (spec.type === 'unix') return `<graphics type='vnc' socket='${escapeXml(spec.path)}'${passwd}/>`;
  return `<graphics type='vnc' autoport='yes' listen='127.0.0.1'${passwd}/>`;
}

function spiceXml(spec: SpiceSpec): string {
  if (spec === null) return '';
  const passwd = spec.password === undefined ? '' : ` passwd='${escapeXml(spec.password)}'`;
  if (spec.type === 'unix') {
    return `<graphics type='spice'${passwd}><listen type='socket' socket='${escapeXml(spec.path)}'/></graphics>`;
  }
  return `<graphics type='spice' autoport='yes'${passwd}><listen type='address' address='127.0.0.1'/></graphics>`;
}

function videoXml(spec: DomainSpec): string {
  if ((spec.spice ?? null) !== null) return "<video><model type='qxl'/></video>";
  return spec.vnc === null ? '' : "<video><model type='vga'/></video>";
}

export function domainXml(spec: DomainSpec): string {
  const title = spec.title === undefined ? '' : `<title>${escapeXml(spec.title)}</title>`;
  return `<domain type='qemu'>
  <name>${escapeXml(spec.name)}</name>${title}
  <memory unit='MiB'>${spec.memoryMiB ?? 128}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${escapeXml(spec.guest.kernel)}</kernel>
    <initrd>${escapeXml(spec.guest.initrd)}</initrd>
    <cmdline>console=tty0 console=ttyS0</cmdline>
  </os>
  <features><acpi/><tcg><tb-cache unit='MiB'>32</tb-cache></tcg></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    ${spec.serials.map((s, port) => serialXml(s, port)).join('\n    ')}
    ${vncXml(spec.vnc)}
    ${spiceXml(spec.spice ?? null)}
    ${videoXml(spec)}
    <memballoon model='none'/>
  </devices>
</domain>
`;
}
