// Logging helpers: pino redaction of credentials, and URLs with their ticket removed.
import pino, { type Logger, type LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  'ticket',
  '*.authorization',
  '*.ticket',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  'password',
];

export function createLogger(level: LoggerOptions['level'], destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * The URL with any `ticket=` value replaced, safe for logs. Parameter names are compared
 * percent-decoded, as the server reads them (`?%74icket=` is a ticket too).
 */
export function safeUrl(url: string | undefined): string {
  return (url ?? '').replace(/([?&])([^=&#]*)=([^&#]*)/g, (whole, sep: string, name: string) =>
    paramName(name) === 'ticket' ? `${sep}${name}=[redacted]` : whole,
  );
}
