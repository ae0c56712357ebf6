import type { Request } from 'express';
import type { SharedState } from '../state/shared-state.js';

/** The audit log keeps this many entries (the oldest go first). */
export const AUDIT_MAX_LENGTH = 10_000;

export type Audit = (request: Request, action: string, details: Record<string, unknown>) => Promise<void>;

/**
 * Who did what, when, to the workspace's audit log (GET /v1/admin/audit). One writer for every admin router, so
 * the entries have one shape. A failed write never fails the change it records: the change already happened.
 */
export function auditTrail(state: Pick<SharedState, 'appendLog'>): Audit {
  return (request, action, details) =>
    state
      .appendLog('audit', { action, by: actor(request), at: new Date().toISOString(), ...details }, AUDIT_MAX_LENGTH)
      .then(() => undefined)
      .catch(() => undefined);
}

/** The key that made the request (admin routes sit behind the key check, so it is known there). */
export function actor(request: Request): string {
  return request.apiKey?.id ?? 'unknown';
}
