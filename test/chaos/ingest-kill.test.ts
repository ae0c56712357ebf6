/**
 * Ingestion killed with SIGKILL at random points (loading, embedding, committing, indexing, calibrating),
 * several times in a row, then run once more: the table must equal a clean ingestion of the same folder,
 * with a full-text index that covers every row. Random but seeded, so a failure reproduces.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { tempDir } from '../support/real-stack.js';

// tsx as a loader in the ingesting process itself: its CLI would fork a second process that SIGKILL misses.
// Chinese and English models only: the multilingual one embeds about seven times slower, has no stage of its own for a
// kill to land in (it embeds in the same step as the others), and is proven by customer-languages.test.ts.
const CHILD_ENV = { ...process.env, LOG_LEVEL: 'silent', EMBEDDING_MODEL_MULTI: 'none' };
let cleanup: (() => Promise<void>) | undefined;
afterAll(() => cleanup?.());

let lastError = '';
function ingest(source: string, db: string, killAfterMs?: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'ingest/ingest.ts', '--source', source, '--db', db, '--table', 'knowledge', '--json'], { stdio: ['ignore', 'ignore', 'pipe'], env: CHILD_ENV });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      lastError = stderr;
      resolve(code);
    });
  });
}

async function snapshot(db: string) {
  const store = await LanceKnowledgeStore.open(db, 'knowledge');
  const rows = await store.table.query().select(['id', 'content_hash', 'doc_hash', 'product_line']).toArray();
  const coverage = await store.fullTextIndexCoverage();
  store.close();
  return { rows: rows.map((row) => `${row.id}|${row.content_hash}|${row.doc_hash}|${row.product_line}`).sort(), coverage };
}

describe('ingestion killed with SIGKILL', () => {
  it('leaves nothing a rerun cannot repair: the table then equals a clean ingestion', async () => {
    const temp = await tempDir('kill');
    cleanup = temp.remove;
    const source = path.join(temp.dir, 'knowledge');
    await mkdir(source, { recursive: true });
    for (const folder of ['faq', 'policies']) await cp(path.join('knowledge', folder), path.join(source, folder), { recursive: true });

    const clean = path.join(temp.dir, 'clean');
    expect(await ingest(source, clean), lastError).toBe(0);
    const expected = await snapshot(clean);

    const killed = path.join(temp.dir, 'killed');
    const delays = fc.sample(fc.integer({ min: 800, max: 9000 }), { numRuns: 4, seed: 7 });
    for (const delay of delays) {
      const code = await ingest(source, killed, delay);
      // Killed (null), or it finished before the signal: either way the next run must cope.
      expect([null, 0], lastError).toContain(code);
    }
    expect(await ingest(source, killed), lastError).toBe(0);
    const actual = await snapshot(killed);
    expect(actual.rows).toEqual(expected.rows);
    expect(actual.coverage.unindexed).toBe(0);
  });
});
