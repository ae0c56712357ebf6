import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from './http-error.js';
import { audienceList, keyAudiences } from '../store/audiences.js';

/** The audiences a request's key may see: the public alone without a key (keys off) or when the key names none. */
export const requestAudiences = (request: Request): string[] => keyAudiences(request.apiKey?.audiences);

const keySchema = z.object({
  id: z.string().min(1),
  /** sha256 of the key, hex. Keys are long random strings, so a fast hash is enough; only the hash is stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  // widget: questions and conversations; integration: server-to-server intake (POST /v1/email); admin: everything.
  // operator: manages workspaces (/v1/admin/workspaces) and may act as admin in any of them (X-Kefu-Workspace).
  scopes: z.array(z.enum(['widget', 'integration', 'admin', 'operator'])).min(1),
  /** Origins allowed to use this key from a browser; "*" allows any; empty means server-side use only. */
  origins: z.array(z.union([z.string().url(), z.literal('*')])).default([]),
  /** The workspace whose data the key reaches (docs/workspaces.md); absent: `default`. */
  workspace: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/)
    .optional(),
  /**
   * The audiences the key's answers may draw on (docs/audiences.md): absent is `['public']`. An agent-assist key is
   * `['public', 'agents']`: it answers from both and marks internal sources.
   */
  audiences: audienceList.optional(),
});
export type ApiKey = z.infer<typeof keySchema>;
export const keySpec = keySchema.pick({ id: true, scopes: true, origins: true, audiences: true });
export type Scope = ApiKey['scopes'][number];

declare module 'express-serve-static-core' {
  interface Request {
    apiKey?: ApiKey;
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A page of this server calling it (the admin page and the demo: browsers send Origin on their POSTs). Judged
 * against PUBLIC_URL, the addresses the service is published under, never against the request's Host header:
 * Host is the caller's to choose, and through DNS rebinding a page on evil.example reaches this server with
 * `Host: evil.example` and `Origin: https://evil.example`, which a Host comparison took for same-origin.
 * Without PUBLIC_URL only a loopback origin on a loopback Host counts (a local install): no rebound name is one.
 */
function sameOrigin(request: Request, origin: string, publicOrigins: ReadonlySet<string>): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (publicOrigins.size) return publicOrigins.has(parsed.origin);
  return LOOPBACK.has(parsed.hostname) && parsed.host === request.get('host');
}

/** PUBLIC_URL as origins: "https://support.example.com, https://help.example.com/kefu" → their scheme://host:port. */
export function publicOrigins(setting: string | undefined): string[] {
  return (setting ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => new URL(entry).origin);
}

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Keys from a JSON file (API_KEYS_FILE) and/or inline JSON (API_KEYS): `[{ id, sha256, scopes, origins }]`. */
export function loadApiKeys(options: { file?: string; inline?: string }): ApiKey[] {
  const lists: unknown[] = [];
  if (options.file) lists.push(...(JSON.parse(readFileSync(options.file, 'utf8')) as unknown[]));
  if (options.inline) lists.push(...(JSON.parse(options.inline) as unknown[]));
  const parsed = z.array(keySchema).safeParse(lists);
  if (!parsed.success) throw new Error(`Invalid API keys: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * API keys, scopes and per-key CORS. With no keys configured (a single machine), public endpoints are
 * open to any origin and admin endpoints are disabled. With keys, every public call needs a key with
 * the `widget` or `admin` scope, from one of that key's origins; admin calls need `admin`.
 */
export class AccessControl {
  private byHash = new Map<string, ApiKey>();
  private allOrigins = new Set<string>();
  private readonly ownOrigins: ReadonlySet<string>;
  keys: readonly ApiKey[] = [];

  /** `ownOrigins`: where this service's own pages are published (PUBLIC_URL), see sameOrigin. */
  constructor(keys: ApiKey[], ownOrigins: readonly string[] = []) {
    this.ownOrigins = new Set(ownOrigins);
    this.setKeys(keys);
  }

  /** Replaces the key set (the KeyRegistry calls this when keys are created or revoked on any replica). */
  setKeys(keys: readonly ApiKey[]): void {
    this.byHash = new Map(keys.map((key) => [key.sha256, key]));
    this.allOrigins = new Set(keys.flatMap((key) => key.origins));
    this.keys = keys;
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The key a request presents, if valid (no scope or origin check): for choosing a rate-limit bucket. */
  identify(request: Request): ApiKey | undefined {
    if (!this.enabled) return undefined;
    const presented = request.header('x-api-key') ?? /^Bearer\s+(.+)$/i.exec(request.header('authorization') ?? '')?.[1];
    return presented ? this.find(presented.trim()) : undefined;
  }

  private find(presented: string): ApiKey | undefined {
    const hash = hashKey(presented);
    const key = this.byHash.get(hash);
    // Compare again in constant time; the map lookup alone is not timing-safe.
    return key && timingSafeEqual(Buffer.from(key.sha256, 'hex'), Buffer.from(hash, 'hex')) ? key : undefined;
  }

  /** CORS for browser callers. Preflights carry no key, so they are judged by origin alone. */
  cors = (request: Request, response: Response, next: NextFunction) => {
    const origin = request.header('origin');
    if (origin) {
      const allowed = this.allowOrigin(request, response);
      if (request.method === 'OPTIONS') {
        if (!allowed) throw new AppError(403, 'origin_not_allowed', `Origin ${origin} is not allowed`);
        response.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
        response.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Api-Key, Authorization, X-Request-Id');
        response.setHeader('Access-Control-Max-Age', '600');
        response.status(204).end();
        return;
      }
    }
    next();
  };

  /**
   * Lets an allowed origin's page read this response (its status, X-Request-Id, Retry-After); whether it is allowed.
   * Also for what is answered before `cors` runs (the workspace dispatcher's refusals): without it the browser hides a
   * 429 or 503 as a network failure, and the widget says the network is down instead of "busy, retry in a moment".
   */
  allowOrigin(request: Request, response: Response): boolean {
    const origin = request.header('origin');
    if (!origin) return false;
    response.vary('Origin');
    const allowed = !this.enabled || this.allOrigins.has(origin) || this.allOrigins.has('*');
    if (allowed) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After');
    }
    return allowed;
  }

  require(scope: Scope) {
    return (request: Request, _response: Response, next: NextFunction) => {
      if (!this.enabled) {
        if (scope === 'admin') throw new AppError(403, 'admin_disabled', 'Admin endpoints are disabled until API keys are configured (API_KEYS_FILE or API_KEYS)');
        // Mail taken in is answered to its sender: never from anyone who can reach the port.
        if (scope === 'integration') throw new AppError(403, 'integration_disabled', 'Integration endpoints (e-mail intake) are disabled until API keys are configured (API_KEYS_FILE or API_KEYS)');
        return next();
      }
      const presented = request.header('x-api-key') ?? /^Bearer\s+(.+)$/i.exec(request.header('authorization') ?? '')?.[1];
      if (!presented) throw new AppError(401, 'missing_api_key', 'An API key is required (X-Api-Key header or Authorization: Bearer)');
      const key = this.find(presented.trim());
      if (!key) throw new AppError(401, 'invalid_api_key', 'The API key is not valid');
      // Operator keys may do what admin keys do; only operator keys manage workspaces.
      const allowed = scope === 'operator' ? key.scopes.includes('operator') : key.scopes.includes(scope) || key.scopes.includes('admin') || key.scopes.includes('operator');
      if (!allowed) throw new AppError(403, 'insufficient_scope', `This key may not call ${scope} endpoints`);
      const origin = request.header('origin');
      if (origin && !sameOrigin(request, origin, this.ownOrigins) && !key.origins.includes(origin) && !key.origins.includes('*')) throw new AppError(403, 'origin_not_allowed', `This key may not be used from ${origin}`);
      request.apiKey = key;
      next();
    };
  }
}
