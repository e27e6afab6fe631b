// Many listeners on one emitter, registered and removed together: an event stream subscribes
// to a registry when it opens and must let go of exactly those handlers when its client leaves
// (src/http/routes/events.ts, src/fleet/entry-api.ts).

/** What subscribe needs of an emitter: node's EventEmitter and the VmRegistry interface both fit. */
export interface Subscribable<Events extends Record<keyof Events, unknown[]>> {
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): unknown;
  off<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): unknown;
}

/** Event name → its handler; events left out are not listened to. */
export type Handlers<Events extends Record<keyof Events, unknown[]>> = {
  readonly [E in keyof Events]?: (...args: Events[E]) => void;
};

/** Adds every handler; the function returned removes them all (calling it twice is harmless). */
export function subscribe<Events extends Record<keyof Events, unknown[]>>(
  emitter: Subscribable<Events>,
  handlers: NoInfer<Handlers<Events>>,
): () => void {
  const pairs = (Object.keys(handlers) as (keyof Events)[]).map(
    (event) => [event, handlers[event]!] as const,
  );
  for (const [event, handler] of pairs) emitter.on(event, handler);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    for (const [event, handler] of pairs) emitter.off(event, handler);
  };
}
