// Which SPICE channels a role may open. Viewers watch: they get the screen, the cursor and the
// sound, and nothing that acts on the guest — no keyboard or mouse (inputs), no USB devices
// (usbredir), no shared folders (webdav), no guest ports (port), no smartcard, no microphone
// (record), no tunnel. Operators get every channel.
import type { Role } from '../types.js';
import { CHANNEL } from './protocol.js';

const VIEWER_CHANNELS: ReadonlySet<number> = new Set([
  CHANNEL.main,
  CHANNEL.display,
  CHANNEL.cursor,
  CHANNEL.playback,
]);

export function channelAllowed(role: Role, channelType: number): boolean {
  return role === 'operator' || VIEWER_CHANNELS.has(channelType);
}
