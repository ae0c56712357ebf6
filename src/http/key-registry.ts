import { refreshEvery } from '../state/log-refresh.js';
import { randomBytes } from 'node:crypto';
import { AppError } from './http-error.js';
import type { SharedState } from '../state/shared-state.js';
import { type AccessControl, type ApiKey, hashKey, type Scope } from './access.js';
import { keyAudiences } from '../store/audiences.js';

/** One change to the key set, kept in the shared state's `api-keys` log (a Redis stream, or a file). */
type KeyEvent =
  | { action: 'create'; key: ApiKey; at: string; by: string }
  | { action: 'revoke'; id: string; at: string; by: string };

export interface KeyInfo {
  id: string;
  scopes: Scope[];
  origins: string[];
  /** The workspace the key belongs to; absent: `default`. */
  workspace?: string;
  /** What its answers may draw on (absent in the key: `['public']`). */
  audiences: string[];
  /** `settings`: API_KEYS_FILE / API_KEYS (revocable here, removed there); `admin-api`: created through the API. */
  source: 'settings' | 'admin-api';
  createdAt?: string;
  revokedAt?: string;
}

export const KEY_LOG = 'api-keys';
const KEY_LOG_MAX = 100_000;
/** Key events are never trimmed by age: a key lives until it is revoked. */
export const KEY_LOG_RETENTION_SECONDS = 100 * 365 * 86_400;

/** A new random key for a scope set: shown once to its owner; only its sha256 is stored. */
export function newApiKey(scopes: Scope[]): string {
  return `kefu_${scopes.includes('admin') ? 'admin' : scopes.includes('integration') ? 'int' : 'pub'}_${randomBytes(24).toString('base64url')}`;
}

/**
 * API keys without restarts: the keys from the settings, plus keys created and revoked through the admin
 * API, kept as an append-only log in the shared state so every replica sees the same set. Each replica
 * re-reads the log every `refreshSeconds` and hands the current set to its AccessControl. While Redis is
 * unreachable the last set read stays in force (and changes are refused), so an outage locks nobody out.
 */
export class KeyRegistry {
  private stopRefresh?: () => void;
  private revoked = new Map<string, string>();
  private created = new Map<string, { key: ApiKey; at: string }>();

  constructor(
    private readonly state: SharedState,
    private readonly access: AccessControl,
    private readonly fromSettings: readonly ApiKey[],
    private readonly refreshSeconds = 2,
  ) {}

  async start(): Promise<this> {
    this.stopRefresh = await refreshEvery(() => this.refresh(), this.refreshSeconds);
    return this;
  }

  stop(): void {
    this.stopRefresh?.();
  }

  private get degraded(): boolean {
    return Boolean(this.state.isDegraded);
  }

  /** Reads the key log and applies it. */
  async refresh(): Promise<void> {
    const events = await this.state.readLog(KEY_LOG, KEY_LOG_MAX);
    // Read from process memory during an outage: not the shared set, so keep the last one.
    if (this.degraded) return;
    const created = new Map<string, { key: ApiKey; at: string }>();
    const revoked = new Map<string, string>();
    for (const { entry } of events) {
      const event = entry as unknown as KeyEvent;
      if (event.action === 'create') {
        created.set(event.key.id, { key: event.key, at: event.at });
        revoked.delete(event.key.id);
      } else if (event.action === 'revoke') revoked.set(event.id, event.at);
    }
    this.created = created;
    this.revoked = revoked;
    const settings = this.fromSettings.filter((key) => !revoked.has(key.id) && !created.has(key.id));
    this.access.setKeys([...settings, ...[...created.values()].map(({ key }) => key).filter((key) => !revoked.has(key.id))]);
  }

  list(): KeyInfo[] {
    const info: KeyInfo[] = [];
    for (const key of this.fromSettings) {
      if (!this.created.has(key.id)) info.push({ id: key.id, scopes: key.scopes, origins: key.origins, audiences: keyAudiences(key.audiences), ...(key.workspace ? { workspace: key.workspace } : {}), source: 'settings', revokedAt: this.revoked.get(key.id) });
    }
    for (const { key, at } of this.created.values()) {
      info.push({ id: key.id, scopes: key.scopes, origins: key.origins, audiences: keyAudiences(key.audiences), ...(key.workspace ? { workspace: key.workspace } : {}), source: 'admin-api', createdAt: at, revokedAt: this.revoked.get(key.id) });
    }
    return info.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Creates a key; returns the secret (shown once). An id in use by a live key is a conflict. */
  async create(spec: { id: string; scopes: Scope[]; origins: string[]; workspace?: string; audiences?: string[] }, by: string): Promise<{ key: string; info: KeyInfo }> {
    this.requireShared();
    await this.refresh();
    if (this.list().some((key) => key.id === spec.id && !key.revokedAt)) throw new AppError(409, 'key_exists', `A key with id "${spec.id}" exists; revoke it first or pick another id`);
    const secret = newApiKey(spec.scopes);
    const key: ApiKey = { id: spec.id, sha256: hashKey(secret), scopes: spec.scopes, origins: spec.origins, ...(spec.workspace && spec.workspace !== 'default' ? { workspace: spec.workspace } : {}), ...(spec.audiences ? { audiences: keyAudiences(spec.audiences) } : {}) };
    await this.state.appendLog(KEY_LOG, { action: 'create', key, at: new Date().toISOString(), by } satisfies KeyEvent, KEY_LOG_MAX);
    await this.refresh();
    return { key: secret, info: this.list().find((entry) => entry.id === spec.id)! };
  }

  /** Revokes a key by id, whichever source it came from; every replica stops accepting it within `refreshSeconds`. */
  async revoke(id: string, by: string): Promise<void> {
    this.requireShared();
    await this.refresh();
    const key = this.list().find((entry) => entry.id === id);
    if (!key) throw new AppError(404, 'key_not_found', `No key with id "${id}"`);
    if (key.revokedAt) return;
    await this.state.appendLog(KEY_LOG, { action: 'revoke', id, at: new Date().toISOString(), by } satisfies KeyEvent, KEY_LOG_MAX);
    await this.refresh();
  }

  private requireShared(): void {
    if (this.degraded) throw new AppError(503, 'state_unavailable', 'Keys cannot be changed while the shared state (Redis) is unreachable; retry when it is back');
  }
}
