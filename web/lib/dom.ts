// A tiny element builder. Children are strings (set as text nodes, never parsed as HTML) or
// elements; attributes go through setAttribute. Untrusted text is safe in either.
type Child = string | Node | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | boolean | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? '' : value);
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page shell lacks #${id}`);
  return el;
}

/** CSS class of a state badge: running, stopped (shutoff, crashed …), paused, other. */
export function stateClass(state: string): string {
  if (state === 'running') return 'state state-running';
  if (state === 'paused' || state === 'pmsuspended' || state === 'blocked') return 'state state-paused';
  if (state === 'shutoff' || state === 'shutdown' || state === 'crashed') return 'state state-stopped';
  return 'state state-other';
}

export function stateBadge(state: string): HTMLSpanElement {
  return h('span', { class: stateClass(state) }, state);
}
