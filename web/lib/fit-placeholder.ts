// A placeholder that fits its field: phones (the console's narrow layout, console.css's
// `max-width: 640px`) get a short one, where the full one would be cut ("Search ou"). The field's
// accessible name is its aria-label, so screen readers hear the same on every screen.

/** The console page's narrow layout, as console.css's media queries say it. */
export const NARROW_SCREEN = '(max-width: 640px)';

export function fitPlaceholder(input: HTMLInputElement, full: string, short: string): void {
  const narrow = matchMedia(NARROW_SCREEN);
  const apply = (): void => {
    input.placeholder = narrow.matches ? short : full;
  };
  apply();
  // A phone turned sideways, or a desktop window made narrow.
  narrow.addEventListener('change', apply);
}
