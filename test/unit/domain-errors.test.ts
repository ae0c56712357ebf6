import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError, type ErrorKind, unavailable } from '../../src/errors.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { AppError, STATUS_OF_KIND } from '../../src/http/http-error.js';
import { DocumentFiles } from '../../src/ingest/document-files.js';
import { LockHeldError } from '../../src/ingest/lock.js';
import { createLogger } from '../../src/log.js';
import { EmptyVersionError, VersionNotFoundError } from '../../src/store/knowledge-store.js';

/** An app whose one route throws what it is given, answered by the real error handler. */
function throwing(error: unknown) {
  const app = express();
  app.get('/fail', () => {
    throw error;
  });
  app.use(errorHandler(createLogger('silent')));
  return app;
}

describe('errors are domain kinds; src/http maps each kind to one status', () => {
  it('answers every kind with its status and the same body shape as before: code, type, message, requestId, details', async () => {
    const expected: Record<ErrorKind, number> = { invalid: 400, not_found: 404, conflict: 409, too_large: 413, unsupported: 415, unavailable: 503 };
    expect(STATUS_OF_KIND).toEqual(expected);
    for (const [kind, status] of Object.entries(expected) as [ErrorKind, number][]) {
      const response = await request(throwing(new DomainError(kind, `some_${kind}`, `it is ${kind}`, { why: kind }))).get('/fail');
      expect(response.status).toBe(status);
      expect(response.body).toEqual({
        error: { code: `some_${kind}`, type: status < 500 ? 'invalid_request_error' : 'server_error', message: `it is ${kind}`, requestId: undefined, details: { why: kind } },
      });
    }
  });

  it('names the first invalid field in the message, wherever it came from (a path id is not "the request body")', async () => {
    const parsed = z.object({ id: z.string().regex(/^[a-z]{8,}$/, 'must be 8 or more letters') }).safeParse({ id: 'x!' });
    const response = await request(throwing(parsed.error)).get('/fail');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.message).toBe('The request is invalid: id: must be 8 or more letters');
    expect(response.body.error.details).toEqual([{ path: 'id', message: 'must be 8 or more letters' }]);
  });

  it('says whether a retry may help as a property of the error', () => {
    expect(unavailable('state_unavailable', 'Redis is down').retryable).toBe(true);
    expect(new DomainError('conflict', 'draft_state', 'sent already').retryable).toBe(false);
    expect(new DomainError('conflict', 'ingestion_running', 'busy', undefined, { retryable: true }).retryable).toBe(true);
    expect(AppError.fromDomain(unavailable('email_unavailable', 'queue down')).retryable).toBe(true);
    expect(new AppError(429, 'rate_limited', 'slow down').retryable).toBe(true);
    expect(new AppError(401, 'missing_api_key', 'key please').retryable).toBe(false);
  });

  it('lets ingestion, the store and the document files throw without knowing HTTP, and keeps the codes clients see', async () => {
    const files = new DocumentFiles('/tmp/knowledge');
    const badName = (() => {
      try {
        files.safeName('.hidden.md');
      } catch (error) {
        return error;
      }
    })();
    const badType = (() => {
      try {
        files.safeName('virus.exe');
      } catch (error) {
        return error;
      }
    })();
    const holder = { token: 't', pid: 1, host: 'other', startedAt: '2026-01-01T00:00:00.000Z', jobId: 'job-1', purpose: 'ingestion' };
    const cases: [unknown, number, string, unknown?][] = [
      [badName, 400, 'bad_file_name'],
      [badType, 415, 'unsupported_type'],
      [new LockHeldError('Another ingestion is running', holder), 409, 'ingestion_running', { runningJob: 'job-1', purpose: 'ingestion', since: holder.startedAt }],
      [new VersionNotFoundError('Version 99 does not exist'), 404, 'version_not_found'],
      [new EmptyVersionError('Version 1 holds no chunks'), 409, 'empty_version'],
    ];
    for (const [error, status, code, details] of cases) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).not.toBeInstanceOf(AppError);
      const response = await request(throwing(error)).get('/fail');
      expect(response.status).toBe(status);
      expect(response.body.error.code).toBe(code);
      expect(response.body.error.details).toEqual(details);
    }
  });
});
