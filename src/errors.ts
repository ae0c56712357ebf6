/**
 * The one error type the HTTP layer knows how to turn into a response.
 * `expose` says whether the message is safe (and useful) to show the client;
 * 5xx messages are logged and replaced by a generic one.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }

  /** Client errors, and 503 (load shed, busy): their messages say what to do. Other 5xx stay generic. */
  get expose(): boolean {
    return this.status < 500 || this.status === 503;
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError(400, 'bad_request', message, details);
