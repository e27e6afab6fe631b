// The console tabs: a WAI-ARIA tablist (arrow keys, Home, End move between tabs).
import { h, replace } from './dom.js';

export interface TabSpec {
  readonly key: string;
  readonly label: string;
  readonly title?: string;
}

export class Tabs {
  private buttons: HTMLButtonElement[] = [];
  private selected: string | null = null;

  constructor(
    private readonly list: HTMLElement,
    /** `fromKeyboard`: arrow keys moved focus to the tab; the panel must not take it. */
    private readonly onSelect: (key: string, fromKeyboard: boolean) => void,
  ) {
    list.addEventListener('keydown', (event) => {
      this.onKey(event);
    });
  }

  /** Replaces the tabs (keeps the selection when its key is still there). */
  set(specs: readonly TabSpec[]): void {
    this.buttons = specs.map((spec) => {
      const tab = h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `tab-${spec.key}`,
          'aria-controls': `panel-${spec.key}`,
          'data-key': spec.key,
          title: spec.title,
        },
        spec.label,
      );
      tab.addEventListener('click', () => {
        this.onSelect(spec.key, false);
      });
      return tab;
    });
    replace(this.list, ...this.buttons);
    this.mark();
  }

  select(key: string): void {
    this.selected = key;
    this.mark();
  }

  private mark(): void {
    for (const tab of this.buttons) {
      const on = tab.dataset.key === this.selected;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
    }
  }

  private onKey(event: KeyboardEvent): void {
    const current = this.buttons.findIndex((b) => b === document.activeElement);
    if (current < 0) return;
    const last = this.buttons.length - 1;
    const target =
      event.key === 'ArrowRight'
        ? (current + 1) % this.buttons.length
        : event.key === 'ArrowLeft'
          ? (current + last) % this.buttons.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : -1;
    if (target < 0) return;
    event.preventDefault();
    const tab = this.buttons[target];
    if (!tab?.dataset.key) return;
    tab.focus();
    this.onSelect(tab.dataset.key, true);
  }
}
