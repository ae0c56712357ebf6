import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { inKnowledgeFolder } from '../support/knowledge-folder.js';
import { fingerprints } from '../support/table-cache.js';

/**
 * A test's copy of knowledge/ (ingestSampleKnowledge with KNOWLEDGE_DIR) is ingested as knowledge/ is: the settings
 * that name the folder's rules, prompts and curated answers point into the copy, so its prompt templates are not
 * taken for documents, and the run's table cache (test/support/table-cache.ts) sees the same input.
 */
describe('a copy of the sample knowledge folder', () => {
  it('excludes its own rules and prompts, and is the same input as knowledge/ for the table cache', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-knowledge-copy-'));
    try {
      const copy = path.join(dir, 'knowledge');
      await cp('knowledge', copy, { recursive: true });
      const copied = loadConfig({ EMBEDDING_MODEL_MULTI: 'none', ...inKnowledgeFolder({ KNOWLEDGE_DIR: copy }) });
      const original = loadConfig({ EMBEDDING_MODEL_MULTI: 'none' });
      // Ingestion leaves out PROMPTS_DIR and the rules files (notDocuments): the copy's own, not knowledge/'s.
      expect(copied.PROMPTS_DIR).toBe(path.join(copy, 'prompts'));
      const [a, b] = [fingerprints(original), fingerprints(copied)];
      for (const key of ['KNOWLEDGE_DIR', 'TABLE_NAME', 'PRODUCT_LINES_FILE', 'CURATED_DIR', 'PROMPTS_DIR', 'INTENTS_FILE', 'EMAIL_REVIEW_RULES_FILE', 'SOURCES_FILE', 'REGRESSION_FILE']) {
        expect([key, await b(key)]).toEqual([key, await a(key)]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
