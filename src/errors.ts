/**
 * What went wrong, in the domain's words. Services, stores and channels throw these; only src/http knows
 * HTTP, and its error handler turns each kind into a status (src/http/error-handler.ts, the one mapping).
 *
 * - `invalid`: the input cannot be used as given (a bad file name, an empty message).
 * - `too_large`: the input is over a configured limit.
 * - `unsupported`: a kind of input this deployment cannot take (a file type no loader reads).
 * - `not_found`: what was named does not exist (a draft, a version, a curated answer).
 * - `conflict`: it exists, but its state forbids the change (a draft already sent, an ingestion running).
 * - `unavailable`: a dependency is down (Redis): the same request may work later.
 */
export type ErrorKind = 'invalid' | 'too_large' | 'unsupported' | 'not_found' | 'conflict' | 'unavailable';

export class DomainError extends Error {
  /** Whether the same request may succeed later without change: a property of the error, not of whoever catches it. */
  readonly retryable: boolean;

  constructor(
    readonly kind: ErrorKind,
    /** A stable, machine-readable code clients branch on (`draft_not_found`); part of the API. */
    readonly code: string,
    message: string,
    /** Structured facts for the client (the running job, the draft's state); shown with the message. */
    readonly details?: unknown,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options);
    this.name = 'DomainError';
    this.retryable = options?.retryable ?? kind === 'unavailable';
  }
}

export const invalid = (code: string, message: string, details?: unknown) => new DomainError('invalid', code, message, details);
export const tooLarge = (code: string, message: string, details?: unknown) => new DomainError('too_large', code, message, details);
export const unsupported = (code: string, message: string, details?: unknown) => new DomainError('unsupported', code, message, details);
export const notFound = (code: string, message: string, details?: unknown) => new DomainError('not_found', code, message, details);
export const conflict = (code: string, message: string, details?: unknown) => new DomainError('conflict', code, message, details);
export const unavailable = (code: string, message: string, options?: { details?: unknown; cause?: unknown }) =>
  new DomainError('unavailable', code, message, options?.details, { cause: options?.cause });
