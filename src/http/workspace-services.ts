import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Registry } from 'prom-client';
import type { CuratedEntry } from '../answer/curated.js';
import type { Config } from '../config/config.js';
import type { InferenceGate } from '../embed/inference-gate.js';
import { AUDIENCES_FILE } from '../ingest/audience-rules.js';
import { loadSources, scheduleMs } from '../ingest/sources/source-config.js';
import { conflict, invalid, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { SharedState } from '../state/shared-state.js';
import type { AnswerGates } from '../workspaces/answer-gates.js';
import { DEFAULT_WORKSPACE, scopedState, workspacePrefix } from '../workspaces/scoped-state.js';
import { workspaceConfig, workspaceInbox, workspaceRoot } from '../workspaces/workspace-config.js';
import { connectsOut, missingChannelSecrets, readWorkspaceSecrets, secretsMissing } from '../workspaces/workspace-channels.js';
import { WorkspaceSecretsFile } from '../workspaces/secrets-file.js';
import { type Workspace, WorkspaceRegistry, type WorkspaceSettings, workspaceChanges, workspaceId, workspaceSpec } from '../workspaces/workspace-registry.js';
import type { AccessControl } from './access.js';
import type { KeyRegistry } from './key-registry.js';
import { requestedWorkspace } from './workspace-access.js';
import { refuseNow } from './error-handler.js';
import { AppError } from './http-error.js';
import { ShedLog } from './shed-log.js';
import type { WorkspaceLoad } from '../workspaces/workspace-load.js';
import type { z } from 'zod';

/** What a workspace's service shares with the deployment: its keys, the answer gate, the models' gate, the load. */
export interface WorkspaceContext {
  id: string;
  state: SharedState;
  access: AccessControl;
  keys: KeyRegistry;
  answerGates: AnswerGates;
  inference: InferenceGate;
  /** Requests in flight per workspace: who bears the process's load (src/workspaces/workspace-load.ts). */
  load: WorkspaceLoad;
  /** The process's event-loop lag, sampled once for every workspace. */
  lagMs: () => number;
}

/** The parts of a built workspace this module uses (a Service, without importing the composition root). */
export interface WorkspaceService {
  app: Express;
  metrics: { registry: Registry };
  jobs: { settled(): Promise<void> };
  curated?: { list(): CuratedEntry[] };
  close(): Promise<void>;
}

export interface WorkspaceServicesOptions {
  config: Config;
  logger: Logger;
  /** The deployment's (unscoped) shared state: the registry lives there, each workspace in its prefix. */
  state: SharedState;
  access: AccessControl;
  keys: KeyRegistry;
  /** Counted at the dispatcher: each workspace's ceiling, and who bears the process's load. */
  load: WorkspaceLoad;
  /** Drops a workspace's knowledge table (the composition root opens LanceDB, not this module). */
  dropTable: (config: Config) => Promise<void>;
  /**
   * Whether the e-mail workers run in this process (EMAIL_WORKERS_IN_PROCESS, or `npm run worker`, which runs them
   * whatever that says): a workspace with e-mail is then built at once, and kept built, so its mail is drafted here.
   */
  emailWorkers?: boolean;
  /** Builds one workspace's service from its settings (buildService with the shared parts). */
  build: (config: Config, context: { id: string; state: SharedState; logger: Logger }) => Promise<WorkspaceService & { curated: { list(): CuratedEntry[] } }>;
  /** The answer gate the workspaces share: a deleted workspace's entry goes, or its last answer would keep the others to their share. */
  answerGates?: Pick<AnswerGates, 'forget'>;
  /** The clock a failed build's backoff is measured with, in milliseconds that only move forward (tests). */
  now?: () => number;
}

export const WORKSPACE_AUDIT_LOG = 'workspace-audit';
/** The requests that ask for an answer: what a flood is made of, and what admission sheds. */
const ANSWER_PATHS = new Set(['/v1/ask', '/v1/chat/completions']);
const AUDIT_MAX_LENGTH = 10_000;
/** A callback of a workspace's messaging channel: `/channels/<platform>/<workspace>`. */
const CHANNEL_CALLBACK = /^\/channels\/(wechat|wecom|feishu)\/([a-z0-9][a-z0-9-]{0,31})\/?$/;
/** A helpdesk's reply for one workspace: `/v1/helpdesk/<helpdesk>/<workspace>`, and the secret that signs each helpdesk's. */
const HELPDESK_REPLY = /^\/v1\/helpdesk\/(zendesk|replies)\/([a-z0-9][a-z0-9-]{0,31})\/?$/;
const HELPDESK_SECRET = { zendesk: 'HELPDESK_ZENDESK_SIGNING_SECRET', replies: 'HELPDESK_REPLY_SECRET' } as const;
/** How long after its creation another replica waits to build a workspace early (the creator's clearing takes milliseconds). */
const CREATE_SETTLE_MS = 2000;
/**
 * A failed build is not tried again for this long, doubled at each failure in a row up to the maximum: requests
 * meanwhile get its error at once. Without it, every request for a workspace that cannot be built (a broken rules
 * file, a table that does not open) built it again, and the public helpdesk and channel addresses, which carry no
 * key, let anyone have it rebuilt at will. A fixed file is taken within a minute, a new setting at once.
 */
const BUILD_BACKOFF_MIN_MS = 1000;
const BUILD_BACKOFF_MAX_MS = 60_000;
/** The dispatcher's refusals, made once: an error's stack is captured when it is made, a cost a flood would pay per request. */
const OVERLOADED = new AppError(503, 'overloaded', 'The service is at capacity; retry in a moment');
const AT_CAPACITY = new AppError(429, 'workspace_at_capacity', 'This workspace has as many requests in flight as it may while others are served; retry in a moment');

/**
 * The deployment's workspaces besides `default` (which is the deployment's own service): each is the same
 * service, built from its own settings over its own prefix of the shared state and its own table, the first
 * time a request needs it, then kept. Requests reach one by their key: `dispatch` hands every `/v1/` request
 * whose key belongs to another workspace to that workspace's app, so it never meets the default routes.
 */
export class WorkspaceServices {
  readonly registry: WorkspaceRegistry;
  private readonly built = new Map<string, Promise<WorkspaceService>>();
  /** Ids being created here: their folder and table are being cleared, nothing may be built over them yet. */
  private readonly creating = new Set<string>();
  private closed = false;
  /** Ids whose failed early build has its next try scheduled: one try pending each, however many changes failed it. */
  private readonly retrying = new Set<string>();
  /** The last failed build of each id, until its backoff ends: its error, and the backoff it was given. */
  private readonly failed = new Map<string, { error: unknown; until: number; backoffMs: number }>();
  /** The secrets the public helpdesk addresses check, the file read again only when it changes (secrets-file.ts). */
  private readonly secretsFile: WorkspaceSecretsFile;
  /** The dispatcher's refusals, logged once a second per workspace with their count. */
  private readonly shedLog: ShedLog;

  constructor(private readonly options: WorkspaceServicesOptions) {
    this.shedLog = new ShedLog(options.logger);
    this.secretsFile = new WorkspaceSecretsFile(options.config, (error) => options.logger.warn({ error: error.message }, 'WORKSPACE_SECRETS_FILE not read'));
    // A workspace renamed, reconfigured or deleted on any replica: what was built for it here goes (and, with
    // scheduled sources or e-mail, is built again at once so its schedule and inbox keep running).
    this.registry = new WorkspaceRegistry(options.state, options.config.API_KEYS_REFRESH_SECONDS, (ids) => {
      for (const id of ids) {
        const deleted = !this.registry.get(id);
        void this.evict(id, deleted ? 'stop-jobs' : 'finish-jobs').then(() => {
          if (deleted) this.options.answerGates?.forget(id);
          return this.buildEarly([id]);
        });
      }
    });
  }

  async start(): Promise<this> {
    await this.registry.start();
    void this.buildEarly(this.registry.list().map((workspace) => workspace.id));
    return this;
  }

  /**
   * Builds, in the background, the workspaces among `ids` that work without being asked: those whose sources have a
   * schedule, those whose messaging channels connect out (Feishu's long connection, DingTalk), and those with an
   * e-mail channel whose workers run here (its inbox folder polled, its queued mail
   * drafted). Their scheduler and workers run in their service, and a workspace is otherwise built on its first
   * request, which after a restart (or on a replica that never served it) may not come before its next sync is due
   * or its mail arrives. The rest stay unbuilt.
   */
  private async buildEarly(ids: string[]): Promise<void> {
    const { config } = this.options;
    for (const id of ids) {
      const workspace = this.registry.get(id);
      if (!workspace || id === DEFAULT_WORKSPACE || this.built.has(id) || this.creating.has(id) || this.closed) continue;
      // The replica that created it clears its id's leftovers (table, state, folder) just after recording it: a
      // workspace this new is built once that is done, not over it.
      const age = Date.now() - Date.parse(workspace.createdAt ?? '');
      if (age < CREATE_SETTLE_MS) {
        setTimeout(() => void this.buildEarly([id]), CREATE_SETTLE_MS - age).unref();
        continue;
      }
      const mail = this.config(workspace).EMAIL_ENABLED && (this.options.emailWorkers ?? config.EMAIL_WORKERS_IN_PROCESS);
      const scheduled = config.SOURCE_SCHEDULER_SECONDS > 0 && (await loadSources(this.config(workspace).SOURCES_FILE).catch(() => [])).some((source) => scheduleMs(source) !== undefined);
      if (mail || scheduled || connectsOut(workspace.settings)) await this.startBuilding(id);
    }
  }

  /** A workspace's channel and webhook secrets; the file unreadable, those of the setting alone (its channels then stay off, logged). */
  private async secrets(id: string, logger: Logger) {
    return readWorkspaceSecrets(this.options.config, id).catch((error: Error) => {
      logger.warn({ error: error.message }, 'WORKSPACE_SECRETS_FILE not read');
      return { ...this.options.config.WORKSPACE_SECRETS[id] };
    });
  }

  /**
   * A workspace's own channels need their secrets in the deployment's settings first: accepted without them, the
   * channel would be configured and silently off. The default workspace's channels are the deployment's settings.
   */
  private async requireChannelSecrets(id: string, settings: WorkspaceSettings | undefined): Promise<void> {
    if (!settings || (!settings.channels && !settings.handoffWebhook)) return;
    if (id === DEFAULT_WORKSPACE)
      throw invalid('default_workspace_channels', "The default workspace's channels and hand-off webhook are the deployment's settings (WECHAT_APP_ID, HANDOFF_WEBHOOK_URL, ...)");
    const missing = missingChannelSecrets(settings, await readWorkspaceSecrets(this.options.config, id));
    const names = Object.values(missing).flat();
    if (names.length)
      throw invalid('channel_secrets_missing', `Set ${names.join(', ')} for "${id}" in WORKSPACE_SECRETS (or WORKSPACE_SECRETS_FILE) first: secrets are never sent through the API`, { missing });
  }

  /** The names of a created workspace's channel and webhook secrets not in WORKSPACE_SECRETS (the admin page's form shows them). */
  async missingSecrets(id: string): Promise<ReturnType<typeof secretsMissing> | undefined> {
    const workspace = this.registry.require(id);
    if (id === DEFAULT_WORKSPACE) return undefined;
    return secretsMissing(workspace.settings, await this.secrets(id, this.options.logger));
  }

  /** Two workspaces (or one and the deployment) reading one inbox folder would take each other's mail. */
  private requireOwnInbox(id: string, settings: WorkspaceSettings | undefined): void {
    const inbox = settings && workspaceInbox(this.options.config, { id, settings });
    if (!inbox) return;
    const deployment = this.options.config.EMAIL_INBOX_DIR && path.resolve(this.options.config.EMAIL_INBOX_DIR);
    const others = this.registry.list().filter((workspace) => workspace.id !== id);
    const holder = inbox === deployment ? DEFAULT_WORKSPACE : others.find((workspace) => workspaceInbox(this.options.config, workspace) === inbox)?.id;
    if (holder) throw conflict('inbox_taken', `The inbox folder ${inbox} is workspace "${holder}"'s`);
  }

  /**
   * Builds a workspace now rather than at its first request. A failure is logged and tried again after the registry's
   * refresh interval: a process that serves no requests (`npm run worker`) has no first request to try it again.
   */
  private async startBuilding(id: string): Promise<void> {
    await this.service(id).catch((error: Error) => {
      this.options.logger.warn({ workspace: id, error: error.message }, 'workspace could not be built');
      if (this.closed || this.retrying.has(id)) return;
      this.retrying.add(id);
      setTimeout(
        () => {
          this.retrying.delete(id);
          void this.buildEarly([id]);
        },
        this.options.config.API_KEYS_REFRESH_SECONDS * 1000 * 5,
      ).unref();
    });
  }

  /** Milliseconds on a clock that only moves forward: the wall clock set back (NTP, a resumed VM) would stretch a backoff by as much. */
  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  /** The ids of the workspaces built here (the deployment's `default` is not among them). */
  builtIds(): string[] {
    return [...this.built.keys()];
  }

  /** The settings a workspace runs with. */
  config(workspace: Workspace): Config {
    return workspaceConfig(this.options.config, workspace);
  }

  /** A workspace's service, built on first use (its table opened, rules and curated answers loaded). */
  service(id: string): Promise<WorkspaceService> {
    const workspace = this.registry.require(id);
    let service = this.built.get(id);
    if (!service) {
      const failure = this.failed.get(id);
      if (failure && this.now() < failure.until) return Promise.reject(failure.error);
      const logger = this.options.logger.child({ workspace: id });
      service = this.secrets(id, logger).then((secrets) => {
        const missing = missingChannelSecrets(workspace.settings, secrets);
        if (Object.keys(missing).length) logger.warn({ missing }, 'workspace channels left off: their secrets are not in WORKSPACE_SECRETS');
        return this.options.build(workspaceConfig(this.options.config, workspace, secrets), { id, state: scopedState(this.options.state, id), logger });
      });
      // A failed build is not kept: a request after its backoff tries again (a table being created, a rules file fixed).
      const building = service;
      building.then(
        () => this.failed.delete(id),
        (error: unknown) => {
          if (this.built.get(id) !== building) return;
          this.built.delete(id);
          const backoffMs = failure ? Math.min(failure.backoffMs * 2, BUILD_BACKOFF_MAX_MS) : BUILD_BACKOFF_MIN_MS;
          this.failed.set(id, { error, until: this.now() + backoffMs, backoffMs });
        },
      );
      this.built.set(id, service);
    }
    return service;
  }

  /** The metric registries of the workspaces built here (labelled with their workspace). */
  async registries(): Promise<Registry[]> {
    const services = await Promise.all([...this.built.values()].map((service) => service.catch(() => undefined)));
    return services.filter((service) => service !== undefined).map((service) => service.metrics.registry);
  }

  /** How many workspaces this replica has built (the rest cost nothing until asked). */
  get builtCount(): number {
    return this.built.size;
  }

  /**
   * Drops what was built for a workspace: the next request builds it anew. Reconfigured, its running ingestion job
   * finishes first (the new build's jobs meanwhile meet the table's lock); deleted, the job is stopped.
   */
  private async evict(id: string, jobs: 'finish-jobs' | 'stop-jobs'): Promise<void> {
    // New settings (or none: deleted) are a new build, not the old one's failure.
    this.failed.delete(id);
    const service = this.built.get(id);
    if (!service) return;
    this.built.delete(id);
    const built = await service.catch(() => undefined);
    if (jobs === 'finish-jobs') await built?.jobs.settled().catch(() => undefined);
    await built?.close().catch(() => undefined);
  }

  /**
   * Counts every `/v1/` request in for its workspace (without a key: `default`, which serves it), refuses it with 429
   * when the workspace is at its ceiling beside a busy other one, before any of its routes does work for it, and
   * sends a request whose key belongs to a created workspace to that workspace's service.
   */
  dispatch = async (request: Request, response: Response, next: NextFunction) => {
    const channel = CHANNEL_CALLBACK.exec(request.path);
    if (channel) return this.dispatchCallback(channel[1]!, channel[2]!, request, response, next);
    const helpdesk = HELPDESK_REPLY.exec(request.path);
    if (helpdesk) return this.dispatchHelpdesk(helpdesk[1] as keyof typeof HELPDESK_SECRET, helpdesk[2]!, request, response, next);
    if (!request.path.startsWith('/v1/') || request.path.startsWith('/v1/admin/workspaces')) return next();
    // A CORS preflight carries no key, so it would count as the default workspace's whichever widget sent it (a quiet
    // workspace's widget refused for default's flood); CORS answers it at once, at no cost worth shedding.
    if (request.method === 'OPTIONS') return next();
    const key = this.options.access.identify(request);
    const id = key ? requestedWorkspace(request, key) : DEFAULT_WORKSPACE;
    if (!this.enter(id, request, response)) return;
    // An answer request its admission would refuse is refused here, before the security headers, logging, rate
    // limits and key check run for it: under a flood, what the flood costs the process is what refusing it costs.
    if (request.method === 'POST' && ANSWER_PATHS.has(request.path) && this.options.load.sheds(id)) return this.refuse(request, response, id, OVERLOADED);
    if (id === DEFAULT_WORKSPACE) return next();
    const service = await this.service(id);
    // The workspace's app answers everything it is sent (its own 404 and error handlers): nothing falls through
    // to the default workspace's routes.
    service.app(request, response, next);
  };

  /** Counts the request in for its workspace until its response ends; false (refused with 429) when the workspace is at its ceiling beside a busy other one. */
  private enter(id: string, request: Request, response: Response): boolean {
    const leave = this.options.load.enter(id);
    if (!leave) {
      this.refuse(request, response, id, AT_CAPACITY);
      return false;
    }
    response.on('finish', leave);
    response.on('close', leave);
    return true;
  }

  /** Refuses at once, without the router's walk to the error handler (refuseNow); logged in aggregate. */
  private refuse(request: Request, response: Response, id: string, refusal: AppError): void {
    // Answered before the app's CORS: an allowed page must still read the status and Retry-After.
    this.options.access.allowOrigin(request, response);
    response.setHeader('Retry-After', '1');
    refuseNow(request, response, refusal);
    this.shedLog.note(id, refusal.code);
  }

  /**
   * A messaging platform's callback for one workspace, `/channels/<platform>/<workspace>`: handed to that workspace's
   * app as `/channels/<platform>`, where its own channel routes check the platform's signature with its own secrets and
   * answer from its knowledge base. The platform's servers carry no key: the URL names the workspace. `default`
   * there is the deployment's own `/channels/<platform>`, which keeps working unchanged.
   */
  private async dispatchCallback(platform: string, id: string, request: Request, response: Response, next: NextFunction) {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    request.url = `/channels/${platform}${query}`;
    if (id === DEFAULT_WORKSPACE) return next();
    const workspace = this.registry.get(id);
    // The URL is public and carries no key: only a platform the workspace has an account on may build it (else any
    // caller could have every workspace built and kept in memory). One answer for both cases, so that the public URL
    // does not tell which workspace ids exist.
    if (!workspace?.settings.channels?.[platform as 'wechat' | 'wecom' | 'feishu']) throw notFound('channel_not_found', `No ${platform} account at this address`);
    if (!this.enter(id, request, response)) return;
    const service = await this.service(id);
    service.app(request, response, next);
  }

  /**
   * A helpdesk's reply for one workspace, `/v1/helpdesk/<helpdesk>/<workspace>`: handed to that workspace's app as
   * `/v1/helpdesk/<helpdesk>`, whose route checks the signature with the workspace's own secret (WORKSPACE_SECRETS) and
   * records the reply in its handoffs. A helpdesk carries no key: the URL names the workspace. One 404 for a workspace
   * that does not exist and one without that helpdesk's secret (nothing built for it): the public URL does not tell
   * which workspace ids exist. `default` is the deployment's own `/v1/helpdesk/<helpdesk>`.
   */
  private async dispatchHelpdesk(helpdesk: keyof typeof HELPDESK_SECRET, id: string, request: Request, response: Response, next: NextFunction) {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    request.url = `/v1/helpdesk/${helpdesk}${query}`;
    // Every id named, existing or not, waits for the same read of the secrets (kept while the file is unchanged), so
    // neither the answer nor its timing tells which ids exist, and no caller makes the file be read per request.
    const secrets = id === DEFAULT_WORKSPACE ? undefined : await this.secretsFile.secrets(id);
    const secret = secrets && this.registry.get(id) ? secrets[HELPDESK_SECRET[helpdesk]] : undefined;
    if (id !== DEFAULT_WORKSPACE && !secret) throw notFound('helpdesk_not_found', `No ${helpdesk} helpdesk at this address`);
    if (!this.enter(id, request, response)) return;
    if (id === DEFAULT_WORKSPACE) return next();
    const service = await this.service(id);
    service.app(request, response, next);
  }

  async create(spec: z.input<typeof workspaceSpec>, by: string): Promise<Workspace> {
    const parsed = workspaceSpec.safeParse(spec);
    if (parsed.success) {
      this.requireOwnInbox(parsed.data.id, parsed.data.settings);
      await this.requireChannelSecrets(parsed.data.id, parsed.data.settings);
    }
    if (this.registry.list().length - 1 >= this.options.config.WORKSPACES_MAX)
      throw conflict('workspace_limit', `This deployment has its ${this.options.config.WORKSPACES_MAX} workspaces (WORKSPACES_MAX)`);
    const id = workspaceId.safeParse(spec.id).data;
    if (id) this.creating.add(id);
    let workspace: Workspace;
    try {
      workspace = await this.registry.create(spec, by);
      // An id can be used again after a delete. What a replica still serving the deleted workspace wrote after it
      // (within its refresh interval: sessions, logs, a job's commit, an upload) is not the new workspace's.
      await this.options.state.deletePrefix?.(workspacePrefix(workspace.id));
      await this.options.dropTable(this.config(workspace));
      await rm(workspaceRoot(this.options.config, workspace.id), { recursive: true, force: true });
      await mkdir(this.config(workspace).KNOWLEDGE_DIR, { recursive: true });
    } finally {
      if (id) this.creating.delete(id);
    }
    await this.audit('workspace.create', by, { workspace: workspace.id, name: workspace.name });
    // Built now, not at its first request: its source scheduler runs from the start (its table is empty, so this is quick).
    if (this.options.config.SOURCE_SCHEDULER_SECONDS) void this.startBuilding(workspace.id);
    return workspace;
  }

  async update(id: string, changes: z.input<typeof workspaceChanges>, by: string): Promise<Workspace> {
    this.requireOwnInbox(id, workspaceChanges.safeParse(changes).data?.settings);
    await this.requireChannelSecrets(id, workspaceChanges.safeParse(changes).data?.settings);
    const workspace = await this.registry.update(id, changes, by);
    // A new name changes nothing served; new settings need a new build.
    if (changes.settings) await this.evict(id, 'finish-jobs');
    await this.audit('workspace.update', by, { workspace: id, changed: Object.keys(changes) });
    return workspace;
  }

  /** Deletes a workspace: its service, keys, table, shared state and files; then its record. */
  async delete(id: string, by: string): Promise<{ stateEntries: number }> {
    const workspace = this.registry.require(id);
    if (id === DEFAULT_WORKSPACE) throw conflict('default_workspace', 'The default workspace cannot be deleted');
    const config = this.config(workspace);
    await this.evict(id, 'stop-jobs');
    for (const key of this.options.keys.list()) if (key.workspace === id && !key.revokedAt) await this.options.keys.revoke(key.id, by);
    await this.options.dropTable(config);
    const stateEntries = (await this.options.state.deletePrefix?.(workspacePrefix(id))) ?? 0;
    await rm(workspaceRoot(this.options.config, id), { recursive: true, force: true });
    await this.registry.delete(id, by);
    await this.audit('workspace.delete', by, { workspace: id, stateEntries });
    return { stateEntries };
  }

  /**
   * A zip of the workspace, streamed: workspace.json (name, settings), curated.json, and its knowledge folder under
   * knowledge/. The files are read one at a time as the zip is written, so a knowledge folder of uploaded PDFs never
   * sits in memory whole. A file that goes away while the zip is written ends the stream with an error.
   */
  async export(id: string, by: string): Promise<Readable> {
    const workspace = this.registry.require(id);
    const service = await this.service(id);
    const zip = new ZipFile();
    zip.addBuffer(Buffer.from(JSON.stringify({ id: workspace.id, name: workspace.name, settings: workspace.settings, createdAt: workspace.createdAt }, null, 2)), 'workspace.json');
    zip.addBuffer(Buffer.from(JSON.stringify(service.curated?.list() ?? [], null, 2)), 'curated.json');
    const knowledge = this.config(workspace).KNOWLEDGE_DIR;
    for (const file of await filesUnder(knowledge)) zip.addFile(file, path.posix.join('knowledge', path.relative(knowledge, file).split(path.sep).join('/')));
    zip.end();
    const output = zip.outputStream as Readable;
    zip.on('error', (error: Error) => output.destroy(error));
    await this.audit('workspace.export', by, { workspace: id });
    return output;
  }

  async auditLog(count: number) {
    return this.options.state.readLog(WORKSPACE_AUDIT_LOG, count);
  }

  private async audit(action: string, by: string, details: Record<string, unknown>): Promise<void> {
    await this.options.state.appendLog(WORKSPACE_AUDIT_LOG, { action, by, at: new Date().toISOString(), ...details }, AUDIT_MAX_LENGTH).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.registry.stop();
    this.shedLog.flush();
    await Promise.all([...this.built.keys()].map((id) => this.evict(id, 'stop-jobs')));
  }
}

/**
 * Every file under `dir` (none when it does not exist); hidden leftovers (uploads in progress) are skipped, but not
 * the `.audiences.yaml` files: without them a restored knowledge folder would serve agents' documents to everyone.
 */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter(
      (entry) =>
        entry.isFile() &&
        !path
          .relative(dir, path.join(entry.parentPath, entry.name))
          .split(path.sep)
          .some((part) => part.startsWith('.') && part !== AUDIENCES_FILE),
    )
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
