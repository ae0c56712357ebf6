import { pino, type Logger } from 'pino';
import { maskPii } from './privacy/pii.js';

export type { Logger };

/**
 * Structured JSON logs. Credentials are redacted by name wherever they appear in a logged object; personal
 * data (emails, phone, order, card, ID numbers) is masked in the message and in every top-level string field.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, options_: { maskPii?: boolean } = {}): Logger {
  const mask = options_.maskPii ?? true;
  const options = {
    level,
    formatters: mask
      ? { log: (object: Record<string, unknown>) => Object.fromEntries(Object.entries(object).map(([key, value]) => [key, typeof value === 'string' && !/id$/i.test(key) ? maskPii(value) : value])) }
      : undefined,
    hooks: mask
      ? {
          logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
            method.apply(this, args.map((arg) => (typeof arg === 'string' ? maskPii(arg) : arg)));
          },
        }
      : undefined,
    base: { service: 'kefu' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.apiKey', '*.api_key', 'headers.authorization', 'headers["x-api-key"]'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination as never) : pino(options);
}
