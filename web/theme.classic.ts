// Loaded first, as a classic blocking script (an IIFE, scripts/build-web.mjs) in <head> (no inline script, so the CSP stays
// strict): puts the theme on <html> before the first paint, then adds the light / dark / system
// toggle to the top bar once it exists.
import { h } from './lib/dom.js';
import { applyTheme, chooseTheme, followSystem, storedChoice, type ThemeChoice } from './lib/theme.js';

const CHOICES: readonly { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'System theme' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

function addToggle(): void {
  const bar = document.querySelector('.topbar');
  if (!bar || bar.querySelector('.theme-toggle')) return;
  const select = h('select', { class: 'theme-toggle', 'aria-label': 'Colour theme', title: 'Colour theme' });
  for (const choice of CHOICES) select.appendChild(h('option', { value: choice.value }, choice.label));
  select.value = storedChoice();
  select.addEventListener('change', () => {
    chooseTheme(select.value as ThemeChoice);
  });
  bar.appendChild(select);
}

applyTheme(storedChoice());
followSystem();
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', addToggle);
else addToggle();
