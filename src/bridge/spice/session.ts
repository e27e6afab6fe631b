// Who holds a VM's SPICE server. QEMU serves one SPICE client: a new main channel disconnects
// the previous client (all its channels). The bridge makes that a decision instead of a
// surprise, on the main channel's link message, before any byte reaches QEMU:
// - nobody holds it: the new client does;
// - a viewer never displaces an operator (refused, VWC_ERR_SPICE_BUSY);
// - anyone else is refused with VWC_ERR_SPICE_BUSY naming the holder, unless they asked to
//   take over (`?takeover=1`, after the page asked them): then the holder's channels are
//   closed with VWC_ERR_SPICE_TAKEN_OVER naming who took over (its page offers to take it back).
// The other channels of a session (display, inputs, cursor …) join the current holder.
import { VwcError } from '../../errors/index.js';
import type { ByteRelay } from '../relay/index.js';
import type { ConsoleSession } from '../types.js';

export interface Holder {
  readonly session: ConsoleSession;
  readonly relays: Set<ByteRelay>;
}

export type MainVerdict =
  { readonly ok: true; readonly displaced: Holder | null } | { readonly ok: false; readonly error: VwcError };

function describe(session: ConsoleSession): string {
  return `${session.user} (${session.role})`;
}

/** What happens to a new main channel from `session` while `holder` holds the server. */
export function decideMain(holder: Holder | null, session: ConsoleSession, takeover: boolean): MainVerdict {
  if (holder === null) return { ok: true, displaced: null };
  if (session.role === 'viewer' && holder.session.role === 'operator') {
    return {
      ok: false,
      error: new VwcError(
        'VWC_ERR_SPICE_BUSY',
        `${describe(holder.session)} is using the SPICE console; a viewer cannot take it over`,
      ),
    };
  }
  if (!takeover) {
    return {
      ok: false,
      error: new VwcError('VWC_ERR_SPICE_BUSY', `${describe(holder.session)} is using the SPICE console`),
    };
  }
  return { ok: true, displaced: holder };
}

export function takenOver(by: ConsoleSession): VwcError {
  return new VwcError('VWC_ERR_SPICE_TAKEN_OVER', `taken over by ${describe(by)}`);
}
