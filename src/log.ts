import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs. Credentials are redacted by name wherever they appear in a logged object. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'kefu' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.apiKey', '*.api_key', 'headers.authorization', 'headers["x-api-key"]'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination as never) : pino(options);
}
