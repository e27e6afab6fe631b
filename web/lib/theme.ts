// Light and dark themes: the user's choice (light, dark or system) kept in localStorage, the
// resolved theme on <html data-theme>, where the CSS custom properties follow it. The terminal
// (xterm.js draws on a canvas, not with CSS) takes its colours from terminalTheme().
import type { ITheme } from '@xterm/xterm';

export type ThemeChoice = 'light' | 'dark' | 'system';
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'vwc-theme';
/** Dispatched on document when the resolved theme changes. */
export const THEME_EVENT = 'vwc-theme-change';

const DARK_QUERY = '(prefers-color-scheme: dark)';

export function storedChoice(): ThemeChoice {
  let value: string | null = null;
  try {
    value = localStorage.getItem(THEME_KEY);
  } catch {
    // storage blocked (privacy settings): follow the system
  }
  return value === 'light' || value === 'dark' ? value : 'system';
}

export function resolve(choice: ThemeChoice): Theme {
  if (choice !== 'system') return choice;
  return matchMedia(DARK_QUERY).matches ? 'dark' : 'light';
}

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

/** Puts the resolved theme on <html>; tells listeners when it changed. */
export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  const theme = resolve(choice);
  root.dataset.themeChoice = choice;
  if (root.dataset.theme === theme) return;
  root.dataset.theme = theme;
  document.dispatchEvent(new CustomEvent(THEME_EVENT, { detail: theme }));
}

export function chooseTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    // not remembered, still applied
  }
  applyTheme(choice);
}

/** Follows the system setting while the choice is "system". */
export function followSystem(): void {
  matchMedia(DARK_QUERY).addEventListener('change', () => {
    applyTheme(storedChoice());
  });
}

export function onThemeChange(listener: (theme: Theme) => void): () => void {
  const handler = (): void => {
    listener(currentTheme());
  };
  document.addEventListener(THEME_EVENT, handler);
  return () => {
    document.removeEventListener(THEME_EVENT, handler);
  };
}

const TERMINAL: Record<Theme, ITheme> = {
  dark: {
    background: '#0b0d10',
    foreground: '#d8dee9',
    cursor: '#a3be8c',
    selectionBackground: '#3b4252',
    // xterm's default (#666666) is 3.4:1 on the background; this is 5.2:1 (stream markers).
    brightBlack: '#7d8590',
  },
  // Light: dark text on paper; ANSI colours darkened enough to read on white.
  light: {
    background: '#fbfbf8',
    foreground: '#1f2328',
    cursor: '#1a7f37',
    cursorAccent: '#fbfbf8',
    selectionBackground: '#c8d7f0',
    black: '#1f2328',
    red: '#b42318',
    green: '#1a7f37',
    yellow: '#8a6100',
    blue: '#1d4ed8',
    magenta: '#8e24aa',
    cyan: '#0e7490',
    white: '#6e7781',
    brightBlack: '#57606a',
    brightRed: '#d1242f',
    brightGreen: '#2da44e',
    brightYellow: '#9a6700',
    brightBlue: '#2563eb',
    brightMagenta: '#a21caf',
    brightCyan: '#0891b2',
    brightWhite: '#8c959f',
  },
};

export function terminalTheme(theme: Theme = currentTheme()): ITheme {
  return TERMINAL[theme];
}
