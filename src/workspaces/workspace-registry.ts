import { refreshEvery } from '../state/log-refresh.js';
import { z } from 'zod';
import { CONTACT_LANGUAGES, type ContactLanguage } from '../text/language.js';
import { conflict, notFound, unavailable } from '../errors.js';
import type { SharedState } from '../state/shared-state.js';
import { DEFAULT_WORKSPACE } from './scoped-state.js';
import { workspaceChannels, workspaceHandoffWebhook } from './workspace-channels.js';

/** Company settings a workspace may set; what it leaves out comes from the deployment's settings. */
export const workspaceSettings = z
  .object({
    companyName: z.string().min(1).max(200),
    /** By language code, as HANDOFF_CONTACT_<LANG>: zh, en and the translated languages (text/language.ts). */
    handoffContact: z
      .object(Object.fromEntries(CONTACT_LANGUAGES.map((lang) => [lang, z.string().min(1).max(500)])) as Record<ContactLanguage, z.ZodString>)
      .partial()
      .strict(),
    /** ANSWER_LENGTH_* values ("300,160": characters in Chinese, words in English). */
    answerLength: z
      .object({ widget: z.string(), api: z.string(), email: z.string() })
      .partial()
      .strict()
      .refine((lengths) => Object.values(lengths).every((value) => /^\s*\d{1,5}\s*,\s*\d{1,5}\s*$/.test(value)), 'answer lengths are "zh,en" like "300,160"'),
    /**
     * The workspace's own e-mail channel (with EMAIL_ENABLED; docs/workspaces.md): present, its mail is drafted from
     * its knowledge base, in its own queues and draft list. `inbox`: the folder it reads mail from (relative to
     * its folder in WORKSPACES_DIR, or absolute); `from`: its replies' From address; the review rules are its knowledge
     * folder's `email-review.yaml` when it has one, with its own confidence floor and auto-send.
     */
    email: z
      .object({
        inbox: z.string().trim().min(1).max(500),
        from: z.string().trim().max(320).regex(/@/, 'from must contain an address, e.g. Brand B Support <help@b.example>'),
        reviewMinConfidence: z.number().min(0).max(1),
        autoSend: z.boolean(),
      })
      .partial()
      .strict(),
    /** Its own WeChat, WeCom, Feishu and DingTalk accounts (ids only: the secrets are the deployment's WORKSPACE_SECRETS). */
    channels: workspaceChannels,
    /** Its own hand-off webhook (else the deployment's HANDOFF_WEBHOOK_URL); its secret is in WORKSPACE_SECRETS. */
    handoffWebhook: workspaceHandoffWebhook,
  })
  .partial()
  .strict();
export type WorkspaceSettings = z.infer<typeof workspaceSettings>;

export const workspaceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'id: 1–32 lower-case letters, digits and -, starting with a letter or digit');
export const workspaceSpec = z.object({ id: workspaceId, name: z.string().min(1).max(200), settings: workspaceSettings.default({}) }).strict();
export const workspaceChanges = z
  .object({ name: z.string().min(1).max(200), settings: workspaceSettings })
  .partial()
  .strict();

export interface Workspace {
  id: string;
  name: string;
  settings: WorkspaceSettings;
  createdAt?: string;
  updatedAt?: string;
}

type WorkspaceEvent =
  | { action: 'create'; workspace: Workspace; at: string; by: string }
  | { action: 'update'; id: string; name?: string; settings?: WorkspaceSettings; at: string; by: string }
  | { action: 'delete'; id: string; at: string; by: string };

export const WORKSPACE_LOG = 'workspaces';
const WORKSPACE_LOG_MAX = 100_000;
/** Workspace events are never trimmed by age: a workspace lives until it is deleted. */
export const WORKSPACE_LOG_RETENTION_SECONDS = 100 * 365 * 86_400;

/**
 * The deployment's workspaces, kept as an append-only log in the (unscoped) shared state like the API keys, so
 * every replica sees the same set within `refreshSeconds`. `default` always exists and is the deployment as it
 * was before workspaces: its settings may be changed, it cannot be deleted.
 */
export class WorkspaceRegistry {
  private workspaces = new Map<string, Workspace>([[DEFAULT_WORKSPACE, { id: DEFAULT_WORKSPACE, name: 'Default', settings: {} }]]);
  private stopRefresh?: () => void;

  constructor(
    private readonly state: SharedState,
    private readonly refreshSeconds = 2,
    /** Told the ids whose record changed or went (a replica drops what it built for them). */
    private readonly onChange?: (ids: string[]) => void,
  ) {}

  async start(): Promise<this> {
    this.stopRefresh = await refreshEvery(() => this.refresh(), this.refreshSeconds);
    return this;
  }

  stop(): void {
    this.stopRefresh?.();
  }

  async refresh(): Promise<void> {
    const events = await this.state.readLog(WORKSPACE_LOG, WORKSPACE_LOG_MAX);
    // Read from process memory during an outage: keep the last set read from the shared state.
    if (this.state.isDegraded) return;
    const next = new Map<string, Workspace>([[DEFAULT_WORKSPACE, { id: DEFAULT_WORKSPACE, name: 'Default', settings: {} }]]);
    for (const { entry } of events) {
      const event = entry as unknown as WorkspaceEvent;
      if (event.action === 'create') next.set(event.workspace.id, { ...event.workspace });
      else if (event.action === 'update') {
        const current = next.get(event.id);
        if (current) next.set(event.id, { ...current, ...(event.name ? { name: event.name } : {}), ...(event.settings ? { settings: event.settings } : {}), updatedAt: event.at });
      } else if (event.action === 'delete' && event.id !== DEFAULT_WORKSPACE) next.delete(event.id);
    }
    // What a replica built depends on a workspace's existence and settings, not on its name.
    const served = (workspace?: Workspace) => JSON.stringify(workspace && { createdAt: workspace.createdAt, settings: workspace.settings });
    const changed = [...new Set([...this.workspaces.keys(), ...next.keys()])].filter((id) => served(this.workspaces.get(id)) !== served(next.get(id)));
    this.workspaces = next;
    if (changed.length) this.onChange?.(changed);
  }

  list(): Workspace[] {
    return [...this.workspaces.values()].map((workspace) => structuredClone(workspace)).sort((a, b) => (a.id === DEFAULT_WORKSPACE ? -1 : b.id === DEFAULT_WORKSPACE ? 1 : a.id.localeCompare(b.id)));
  }

  get(id: string): Workspace | undefined {
    const workspace = this.workspaces.get(id);
    return workspace && structuredClone(workspace);
  }

  require(id: string): Workspace {
    const workspace = this.get(id);
    if (!workspace) throw notFound('workspace_not_found', `No workspace "${id}"`);
    return workspace;
  }

  async create(spec: z.input<typeof workspaceSpec>, by: string): Promise<Workspace> {
    const parsed = workspaceSpec.parse(spec);
    this.requireShared();
    await this.refresh();
    if (this.workspaces.has(parsed.id)) throw conflict('workspace_exists', `A workspace "${parsed.id}" exists`);
    const at = new Date().toISOString();
    const workspace: Workspace = { ...parsed, createdAt: at };
    await this.state.appendLog(WORKSPACE_LOG, { action: 'create', workspace, at, by } satisfies WorkspaceEvent, WORKSPACE_LOG_MAX);
    await this.refresh();
    return this.require(parsed.id);
  }

  async update(id: string, changes: z.input<typeof workspaceChanges>, by: string): Promise<Workspace> {
    const parsed = workspaceChanges.parse(changes);
    this.requireShared();
    await this.refresh();
    this.require(id);
    await this.state.appendLog(WORKSPACE_LOG, { action: 'update', id, ...parsed, at: new Date().toISOString(), by } satisfies WorkspaceEvent, WORKSPACE_LOG_MAX);
    await this.refresh();
    return this.require(id);
  }

  async delete(id: string, by: string): Promise<void> {
    if (id === DEFAULT_WORKSPACE) throw conflict('default_workspace', 'The default workspace cannot be deleted');
    this.requireShared();
    await this.refresh();
    this.require(id);
    await this.state.appendLog(WORKSPACE_LOG, { action: 'delete', id, at: new Date().toISOString(), by } satisfies WorkspaceEvent, WORKSPACE_LOG_MAX);
    await this.refresh();
  }

  private requireShared(): void {
    if (this.state.isDegraded) throw unavailable('state_unavailable', 'Workspaces cannot be changed while the shared state (Redis) is unreachable; retry when it is back');
  }
}
