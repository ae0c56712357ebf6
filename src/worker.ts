import { loadConfig } from './config/config.js';
import { createLogger } from './log.js';
import { buildService } from './service.js';

/**
 * `npm run worker`: the e-mail drafting and sending workers (and the inbox folder, if set) without the HTTP API,
 * for deployments that scale them apart from it (set EMAIL_WORKERS_IN_PROCESS=false on the API replicas). It
 * builds the same service, so drafts use the same models, knowledge table and settings as the API's answers. It
 * serves every workspace whose settings give it e-mail (docs/workspaces.md), each in its own queues and from its own
 * knowledge base, and follows the workspace registry: a workspace created, reconfigured or deleted while it runs is
 * taken up, rebuilt or stopped within API_KEYS_REFRESH_SECONDS.
 */
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, undefined, { maskPii: config.PII_MASKING });
if (!config.EMAIL_ENABLED) {
  logger.error('npm run worker runs the e-mail channel: set EMAIL_ENABLED=true (with REDIS_URL and SMTP_URL)');
  process.exit(2);
}
const service = await buildService(config, logger, { emailWorkers: true });
const workspaces = service.workspaces?.registry.list().filter((workspace) => workspace.id === 'default' || workspace.settings.email) ?? [];
logger.info(
  { concurrency: config.EMAIL_CONCURRENCY, inbox: config.EMAIL_INBOX_DIR ?? null, mode: service.answers.mode, workspaces: workspaces.map((workspace) => workspace.id) },
  'Kefu e-mail worker running',
);

// A job being worked on when the signal comes finishes first (BullMQ's close waits for it); one killed outright
// is taken up again by another worker once its lock (EMAIL_JOB_LOCK_MS) lapses.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), config.EMAIL_ANSWER_TIMEOUT_MS + 10_000).unref();
    void service.close().then(() => {
      logger.info('e-mail worker stopped');
      process.exit(0);
    });
  });
}
