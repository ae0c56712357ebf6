import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { workspaceConfig } from '../../src/workspaces/workspace-config.js';

describe('the settings a workspace runs with', () => {
  it('are the deployment’s own for default, with only its company settings applied', () => {
    const config = loadConfig({});
    const derived = workspaceConfig(config, { id: 'default', settings: { companyName: 'Acme' } });
    expect({ ...derived, COMPANY_NAME: config.COMPANY_NAME }).toEqual(config);
    expect(derived.COMPANY_NAME).toBe('Acme');
  });

  it('give a created workspace its own table, folder, curated answers and sources, its rules when it has them, and no channels', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-ws-settings-'));
    try {
      const config = loadConfig({ WORKSPACES_DIR: dir, WECHAT_APP_ID: 'wx1', WECHAT_TOKEN: 't', WECHAT_APP_SECRET: 's', UPLOADS_DIR: '/srv/uploads' });
      const knowledge = path.join(dir, 'brand-b', 'knowledge');
      let derived = workspaceConfig(config, { id: 'brand-b', settings: { handoffContact: { en: 'call B' }, answerLength: { api: '200,100' } } });
      expect(derived).toMatchObject({
        WORKSPACE_ID: 'brand-b',
        TABLE_NAME: 'knowledge-ws-brand-b',
        KNOWLEDGE_DIR: knowledge,
        UPLOADS_DIR: path.join(knowledge, 'uploads'),
        CURATED_DIR: path.join(knowledge, 'curated'),
        SOURCES_FILE: path.join(knowledge, 'sources.yaml'),
        PRODUCT_LINES_FILE: config.PRODUCT_LINES_FILE,
        PROMPTS_DIR: config.PROMPTS_DIR,
        WECHAT_APP_ID: undefined,
        EMAIL_ENABLED: false,
        HANDOFF_CONTACT_EN: 'call B',
        HANDOFF_CONTACT_ZH: config.HANDOFF_CONTACT_ZH,
        ANSWER_LENGTH_API: '200,100',
        DB_DIR: config.DB_DIR,
      });
      await mkdir(knowledge, { recursive: true });
      await writeFile(path.join(knowledge, 'product-lines.yaml'), 'lines: []\n');
      derived = workspaceConfig(config, { id: 'brand-b', settings: {} });
      expect(derived.PRODUCT_LINES_FILE).toBe(path.join(knowledge, 'product-lines.yaml'));
      // The ingestion child gets the derived settings: deriving again changes nothing.
      expect(workspaceConfig(derived, { id: 'brand-b', settings: {} })).toEqual(derived);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a created workspace’s e-mail', () => {
  it('is its own with `email` in its settings on a deployment with e-mail: its inbox folder, address, rules and review floor', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-ws-email-settings-'));
    try {
      const mail = { EMAIL_ENABLED: 'true', REDIS_URL: 'redis://127.0.0.1:6379', SMTP_URL: 'smtp://127.0.0.1:2525', EMAIL_INBOX_DIR: '/srv/mail/inbox' };
      const config = loadConfig({ WORKSPACES_DIR: dir, ...mail });
      const knowledge = path.join(dir, 'brand-b', 'knowledge');
      await mkdir(knowledge, { recursive: true });
      await writeFile(path.join(knowledge, 'email-review.yaml'), 'categories: {}\n');
      const settings = { email: { inbox: 'inbox', from: 'B <help@b.example>', reviewMinConfidence: 0.8 } };
      expect(workspaceConfig(config, { id: 'brand-b', settings })).toMatchObject({
        EMAIL_ENABLED: true,
        EMAIL_INBOX_DIR: path.join(dir, 'brand-b', 'inbox'),
        EMAIL_FROM: 'B <help@b.example>',
        EMAIL_REVIEW_RULES_FILE: path.join(knowledge, 'email-review.yaml'),
        EMAIL_REVIEW_MIN_CONFIDENCE: 0.8,
        EMAIL_AUTO_SEND: false,
      });
      // Without `email`, none (never the deployment's inbox); without e-mail on the deployment, none either.
      expect(workspaceConfig(config, { id: 'brand-b', settings: {} })).toMatchObject({ EMAIL_ENABLED: false, EMAIL_INBOX_DIR: undefined });
      expect(workspaceConfig(loadConfig({ WORKSPACES_DIR: dir }), { id: 'brand-b', settings }).EMAIL_ENABLED).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a created workspace’s regression set', () => {
  it('is its own folder’s, never the deployment’s REGRESSION_FILE (whose questions and documents are another knowledge base’s)', () => {
    const config = loadConfig({ WORKSPACES_DIR: '/srv/workspaces', REGRESSION_FILE: '/srv/kefu/regression-set.jsonl' });
    // Set, not left out: the ingestion child's environment is the deployment's with the derived settings over it.
    expect(workspaceConfig(config, { id: 'brand-b', settings: {} }).REGRESSION_FILE).toBe(path.join('/srv/workspaces', 'brand-b', 'knowledge', 'regression-set.jsonl'));
    expect(workspaceConfig(config, { id: 'default', settings: {} }).REGRESSION_FILE).toBe('/srv/kefu/regression-set.jsonl');
  });
});
