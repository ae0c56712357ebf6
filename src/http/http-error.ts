import type { DomainError, ErrorKind } from '../errors.js';

/** The status each domain kind answers with: the one mapping, used by the error handler. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  unavailable: 503,
};

/**
 * An error that is already an HTTP answer: thrown by the HTTP layer itself (authentication, rate limits,
 * request parsing), and turned into a response by the error handler. `expose` says whether the message is
 * safe (and useful) to show the client; 5xx messages are logged and replaced by a generic one.
 */
export class AppError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, { cause: options?.cause });
    this.name = 'AppError';
    // A timeout, a rate limit or the server's trouble may pass; the client's own mistake does not.
    this.retryable = options?.retryable ?? (status === 408 || status === 429 || status >= 500);
  }

  /** Client errors, and 503 (load shed, busy): their messages say what to do. Other 5xx stay generic. */
  get expose(): boolean {
    return this.status < 500 || this.status === 503;
  }

  /** The answer to a domain error: its kind's status, its code, message and details as they are. */
  static fromDomain(error: DomainError): AppError {
    return new AppError(STATUS_OF_KIND[error.kind], error.code, error.message, error.details, { cause: error, retryable: error.retryable });
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError(400, 'bad_request', message, details);
