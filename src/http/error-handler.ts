import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { DomainError } from '../errors.js';
import { AppError } from './http-error.js';
import type { Logger } from '../log.js';

/**
 * The one place errors become responses (domain kinds become statuses here, see STATUS_OF_KIND): `{ error: { code, message, requestId, details? } }`.
 * Client errors keep their message; server errors are logged with the stack and answered generically.
 */
export function errorHandler(logger: Logger) {
  return (error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const appError = toAppError(error);
    // Shedding is expected under load: a warning without a stack, not thousands of error reports.
    if (appError.status === 503) logger.warn({ requestId: request.id, path: request.path, code: appError.code }, 'request shed');
    else if (appError.status >= 500) logger.error({ err: error, requestId: request.id, path: request.path }, 'request failed');
    else logger.info({ requestId: request.id, path: request.path, status: appError.status, code: appError.code }, 'request rejected');
    if (response.headersSent) {
      // A stream already started: nothing useful can be sent as JSON, close it.
      response.end();
      return;
    }
    response.status(appError.status).json(errorJson(appError, request.id));
  };
}

/** The body of every error response. */
function errorJson(appError: AppError, requestId: string) {
  return {
    error: {
      code: appError.code,
      // OpenAI-style clients (the /v1/chat/completions route) read `type` and `message`.
      type: appError.status < 500 ? 'invalid_request_error' : 'server_error',
      message: appError.expose ? appError.message : 'Internal server error',
      requestId,
      ...(appError.expose && appError.details !== undefined ? { details: appError.details } : {}),
    },
  };
}

/**
 * Answers `appError` where the request is, instead of passing it on to the error handler: for what the front of the
 * app refuses under a flood (the caller logs it, in aggregate). An error passed on walks every later layer of the app
 * (each router's routes matched against the path) before it reaches the handler, and Express's `json` hashes the body
 * for an ETag: in bench:workspaces' profile of a flood, that walk and `json` were most of the event loop's time spent
 * refusing, time a quiet workspace's answers waited for.
 */
export function refuseNow(request: Request, response: Response, appError: AppError): void {
  const body = JSON.stringify(errorJson(appError, request.id));
  // Answered before the app's security headers (helmet): the one they add that bears on a JSON body.
  response.writeHead(appError.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' });
  response.end(body);
}

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // Services, stores and channels speak in domain kinds; each kind has one status (STATUS_OF_KIND).
  if (error instanceof DomainError) return AppError.fromDomain(error);
  if (error instanceof ZodError) {
    // From the body, the query or the path: the message names the first problem, the details list them all.
    const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    const first = issues[0];
    return new AppError(400, 'invalid_request', first ? `The request is invalid: ${first.path ? `${first.path}: ` : ''}${first.message}` : 'The request is invalid', issues);
  }
  // body-parser's errors carry a status and a type.
  const parserError = error as { status?: number; type?: string; message?: string };
  if (parserError?.type === 'entity.parse.failed') return new AppError(400, 'invalid_json', 'The request body is not valid JSON');
  if (parserError?.type === 'entity.too.large') return new AppError(413, 'payload_too_large', 'The request body is too large');
  if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') return new AppError(415, 'unsupported_encoding', parserError.message ?? 'Unsupported encoding');
  if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new AppError(parserError.status, 'bad_request', parserError.message ?? 'Bad request');
  }
  return new AppError(500, 'internal', error instanceof Error ? error.message : String(error), undefined, { cause: error });
}
