// The serial mux's control messages (hello, presence, lock, gap, vm, event, error), which a browser
// reads as JSON, turned into short lines for an SSH user. They go to the channel's stderr, so
// stdout carries exactly the console bytes a browser gets (scripts and the tests compare them);
// a terminal shows both. Pure and stateful per session: it knows which client is "you" and
// says a presence list only when it changed.
import type { ClientInfo, LockHolder, ServerMessage } from '../bridge/serial/index.js';

const PREFIX = '[virt-webconsole] ';
const EOL = '\r\n';

function line(text: string): string {
  // Output of the guest may have left the cursor mid-line.
  return `\r${PREFIX}${text}${EOL}`;
}

export class NoticeWriter {
  private me: string | null = null;
  private lastPresence = '';

  constructor(private readonly consoleName: string) {}

  /** The line to show for `message`, or null when it says nothing new. */
  format(message: ServerMessage): string | null {
    switch (message.type) {
      case 'hello': {
        this.me = message.clientId;
        this.lastPresence = this.presenceText(message.clients, message.clients.length);
        const role = message.role === 'viewer' ? 'viewer, read-only' : 'operator';
        return (
          line(`${this.consoleName}: you are ${message.user} (${role}). ~? for help, ~. to detach.`) +
          line(this.lockText(message.lock)) +
          line(this.lastPresence)
        );
      }
      case 'presence': {
        const text = this.presenceText(message.clients, message.count);
        if (text === this.lastPresence) return null;
        this.lastPresence = text;
        return line(text);
      }
      case 'lock':
        return line(this.lockText(message.holder));
      case 'gap':
        return line(
          `${message.to - message.from} bytes skipped (${message.reason === 'slow-client' ? 'this session fell behind' : 'no longer in history'})`,
        );
      case 'vm':
        return line(`${this.consoleName}: the VM is ${message.state} (boot ${message.boot})`);
      case 'event':
        return line(`── ${message.text} ${new Date(message.time).toISOString().slice(11, 19)}Z ──`);
      case 'error':
        return line(`${message.message} (${message.code})`);
    }
  }

  private lockText(holder: LockHolder | null): string {
    if (holder === null) return 'write lock: free (the first operator to type takes it)';
    if (holder.id === this.me) return 'write lock: yours';
    const label = holder.label ? ` (${holder.label})` : '';
    return `write lock: held by ${holder.user}${label}; your keys are not sent (~w takes it)`;
  }

  private presenceText(clients: readonly ClientInfo[], count: number): string {
    const names = clients.map(
      (c) =>
        `${c.user}${c.label ? ` (${c.label})` : ''}${c.id === this.me ? ' (you)' : ''}${c.role === 'viewer' ? ' [viewer]' : ''}`,
    );
    const more = count > clients.length ? ` and ${count - clients.length} more` : '';
    return `${count} on this console: ${names.join(', ')}${more}`;
  }
}
