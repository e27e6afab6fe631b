// Security headers on every response: no inline scripts (pages read untrusted domain names from
// the URL and JSON, and must never execute them), no framing, no sniffing, no referrer.
import type { RequestHandler } from 'express';

const CSP = [
  "default-src 'self'",
  // wasm-unsafe-eval: asciinema-player's terminal is WebAssembly (compiling it, not JS eval).
  "script-src 'self' 'wasm-unsafe-eval'",
  // xterm.js and noVNC set styles from script; inline style is not a script-injection path.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(tls: boolean): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    if (tls) res.setHeader('strict-transport-security', 'max-age=31536000');
    next();
  };
}
