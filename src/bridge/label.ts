// Names for one console window, shown to the other windows in presence lists: the browser and
// system from the User-Agent ("Chrome on Linux"), the SSH peer ("ssh from 10.0.0.5"), and a short
// window tag the page may choose itself (`?window=`), so two windows of one user in one browser
// still read apart. Display only: nothing is decided on them, so a few patterns are enough
// (a full User-Agent parser would be a dependency for a label).

/** Longest window tag kept; longer or odd ones are dropped rather than shown. */
const MAX_WINDOW = 32;

const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\b(?:Headless)?Chrom(?:e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];

const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone|iPad|iPod\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/** "Chrome on Linux", "Firefox", "browser" — from a User-Agent header. */
export function browserLabel(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? (system ? `browser on ${system}` : 'browser');
}

/** The label of an SSH session. */
export function sshLabel(address: string): string {
  return `ssh from ${address}`;
}

/** A page-chosen window tag, if it is short and plain (letters, digits, `-`, `_`); else undefined. */
export function windowTag(raw: string | null | undefined): string | undefined {
  if (!raw || raw.length > MAX_WINDOW || !/^[A-Za-z0-9_-]+$/.test(raw)) return undefined;
  return raw;
}
