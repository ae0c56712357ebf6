import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Config, handoffContactSetting, type WorkspaceSecretName } from '../config/config.js';
import type { ContactLanguage } from '../text/language.js';
import { DEFAULT_WORKSPACE } from './scoped-state.js';
import { channelConfig } from './workspace-channels.js';
import type { Workspace, WorkspaceSettings } from './workspace-registry.js';

/** Where a created workspace keeps its files: `<WORKSPACES_DIR>/<id>` (knowledge/, sources/). */
export function workspaceRoot(config: Pick<Config, 'WORKSPACES_DIR'>, id: string): string {
  return path.join(config.WORKSPACES_DIR, id);
}

/** A created workspace's knowledge table: beside the default one, in the same DB_DIR. */
export function workspaceTable(config: Pick<Config, 'TABLE_NAME'>, id: string): string {
  return `${config.TABLE_NAME}-ws-${id}`;
}

/** The folder a created workspace reads its mail from: its `email.inbox` setting, relative to its own folder. */
export function workspaceInbox(config: Pick<Config, 'WORKSPACES_DIR'>, workspace: Pick<Workspace, 'id' | 'settings'>): string | undefined {
  const inbox = workspace.settings.email?.inbox;
  return inbox ? path.resolve(workspaceRoot(config, workspace.id), inbox) : undefined;
}

/** The workspace's company settings over the deployment's: what it does not set stays the deployment default. */
function withSettings(config: Config, settings: WorkspaceSettings): Config {
  return {
    ...config,
    COMPANY_NAME: settings.companyName ?? config.COMPANY_NAME,
    // Per language: a workspace that gives only its Spanish contact keeps the deployment's for the other languages.
    ...Object.fromEntries(Object.entries(settings.handoffContact ?? {}).flatMap(([lang, contact]) => (contact ? [[handoffContactSetting(lang as ContactLanguage), contact]] : []))),
    ANSWER_LENGTH_WIDGET: settings.answerLength?.widget ?? config.ANSWER_LENGTH_WIDGET,
    ANSWER_LENGTH_API: settings.answerLength?.api ?? config.ANSWER_LENGTH_API,
    ANSWER_LENGTH_EMAIL: settings.answerLength?.email ?? config.ANSWER_LENGTH_EMAIL,
  };
}

/**
 * The settings one workspace runs with: the deployment's, with its own table, knowledge folder, curated answers,
 * sources and company settings. Rules files and prompt templates are its own when its knowledge folder has them,
 * else the deployment's (a new workspace works before anyone writes rules for it). `default` keeps every path:
 * a deployment from before workspaces serves unchanged. Channels configured for the deployment (e-mail, WeChat,
 * WeCom, Feishu, DingTalk) stay with `default`; a workspace's own channels need their `secrets`
 * (WORKSPACE_SECRETS), which only its build is given. Applying it to a config already derived for the workspace changes nothing
 * (the ingestion child gets the derived settings in its environment).
 */
export function workspaceConfig(config: Config, workspace: Pick<Workspace, 'id' | 'settings'>, secrets: Partial<Record<WorkspaceSecretName, string>> = {}): Config {
  if (workspace.id === DEFAULT_WORKSPACE || config.WORKSPACE_ID === workspace.id) return withSettings(config, workspace.settings);
  const root = workspaceRoot(config, workspace.id);
  const knowledge = path.join(root, 'knowledge');
  const own = (name: string, fallback: string) => (existsSync(path.join(knowledge, name)) ? path.join(knowledge, name) : fallback);
  return withSettings(
    {
      ...config,
      WORKSPACE_ID: workspace.id,
      TABLE_NAME: workspaceTable(config, workspace.id),
      KNOWLEDGE_DIR: knowledge,
      UPLOADS_DIR: path.join(knowledge, 'uploads'),
      CURATED_DIR: path.join(knowledge, 'curated'),
      SOURCES_FILE: path.join(knowledge, 'sources.yaml'),
      // Its own regression set (its questions name its documents), set rather than left out: the ingestion child's
      // environment is the deployment's with these settings over it, and would keep the deployment's REGRESSION_FILE.
      REGRESSION_FILE: path.join(knowledge, 'regression-set.jsonl'),
      SOURCES_CACHE_DIR: path.join(root, 'sources'),
      PRODUCT_LINES_FILE: own('product-lines.yaml', config.PRODUCT_LINES_FILE),
      PROMPTS_DIR: own('prompts', config.PROMPTS_DIR),
      INTENTS_FILE: own('intents.yaml', config.INTENTS_FILE),
      // Its own e-mail channel when its settings ask for one (on a deployment with e-mail), else none.
      EMAIL_ENABLED: config.EMAIL_ENABLED && workspace.settings.email !== undefined,
      EMAIL_INBOX_DIR: workspaceInbox(config, workspace),
      EMAIL_FROM: workspace.settings.email?.from ?? config.EMAIL_FROM,
      EMAIL_REVIEW_RULES_FILE: own('email-review.yaml', config.EMAIL_REVIEW_RULES_FILE),
      EMAIL_REVIEW_MIN_CONFIDENCE: workspace.settings.email?.reviewMinConfidence ?? config.EMAIL_REVIEW_MIN_CONFIDENCE,
      EMAIL_AUTO_SEND: workspace.settings.email?.autoSend ?? config.EMAIL_AUTO_SEND,
      // Its own messaging accounts and hand-off webhook, with their secrets (given when it is built); never the deployment's.
      ...channelConfig(workspace.settings, secrets),
      DEMO_WIDGET_KEY: undefined,
    },
    workspace.settings,
  );
}
