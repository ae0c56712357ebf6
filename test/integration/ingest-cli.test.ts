import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireIngestLock } from '../../src/ingest/lock.js';
import { ingestSampleKnowledge, tempDir } from '../support/real-stack.js';

const run = promisify(execFile);
// Chinese and English models only: the multilingual one (a Python process to start, seven times slower to embed) is
// not what these runs print or refuse; customer-languages.test.ts proves it.
const cli = (args: string[], env: Record<string, string> = {}, script = 'ingest/ingest.ts') =>
  run(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, LOG_LEVEL: 'silent', EMBEDDING_MODEL_MULTI: 'none', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const temp = await tempDir('cli');
  dir = temp.dir;
  cleanup = temp.remove;
  await mkdir(path.join(dir, 'docs'));
  await writeFile(path.join(dir, 'docs/good.md'), '# Good\nThe lock uses four AA batteries.');
});
afterAll(() => cleanup());

describe('npm run ingest (the CLI)', () => {
  it('prints a JSON summary and exits 0 when everything ingests, then lists versions', async () => {
    const result = await cli(['--source', path.join(dir, 'docs'), '--db', path.join(dir, 'db'), '--table', 'cli', '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ table: 'cli', committed: true, documents: { added: 1, failed: 0 }, chunksWritten: 1 });
    expect(summary.chunksPerSecond).toBeGreaterThan(0);
    const versions = JSON.parse((await cli(['--db', path.join(dir, 'db'), '--table', 'cli', '--list-versions', '--json'])).stdout);
    expect(versions.versions.some((version: { tag?: string }) => version.tag?.startsWith('ingest-'))).toBe(true);
  });

  it('exits 1 and names the bad file when some input fails, committing the rest', async () => {
    await writeFile(path.join(dir, 'docs/broken.pdf'), 'not a pdf');
    await writeFile(path.join(dir, 'docs/more.md'), '# More\nAnother page.');
    const result = await cli(['--source', path.join(dir, 'docs'), '--db', path.join(dir, 'db'), '--table', 'cli', '--json']);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.failures).toEqual([{ path: 'broken.pdf', reason: 'not a PDF file (no %PDF header)' }]);
    expect(summary.documents).toMatchObject({ added: 1, unchanged: 1, failed: 1 });
  });

  it('prints the knowledge base’s own trade-off curve and the band it calibrated, per language', async () => {
    // The whole sample knowledge base, for its calibration in Chinese and English (their models alone, as every run here).
    // Its table is the run's shared sample table (test/support/table-cache.ts: the same ingestion and calibration code,
    // run once for every file that needs it); the CLI finds it current, commits nothing and prints the band the table
    // holds. Ingesting it again here, in a child of its own, cost the file most of its time.
    const sample = await ingestSampleKnowledge(path.join(dir, 'sample'));
    const result = await cli(['--db', sample.DB_DIR, '--table', sample.TABLE_NAME]);
    expect(result.code).toBe(0);
    for (const lang of ['zh', 'en']) {
      expect(result.stdout).toMatch(new RegExp(`refusal threshold \\(${lang}\\): 0\\.\\d+`));
      expect(result.stdout).toMatch(new RegExp(`answer threshold \\(${lang}\\): 0\\.\\d+ — between the two, the middle band.*of 80 in-domain unanswerable probes`));
      expect(result.stdout).toContain(`trade-off curve (${lang}): share of probes below each cut — cut: answerable / in-domain unanswerable / out-of-domain`);
    }
    // Nine cuts per language, each with the three shares; a higher cut never refuses fewer probes of any kind.
    const points = [...result.stdout.matchAll(/^ {4}(0\.\d0): (\d+) % \/ (\d+) % \/ (\d+) %$/gm)].map((match) => match.slice(1).map(Number));
    expect(points).toHaveLength(18);
    for (const [index, point] of points.entries()) if (index % 9) for (const k of [1, 2, 3]) expect(point[k]).toBeGreaterThanOrEqual(points[index - 1][k]);
    // In-domain unanswerable probes sit above out-of-domain ones: below the same cut, fewer of them.
    expect(points[4][2]).toBeLessThan(points[4][3]);
  });

  it('exits 2 with a clear message when another run holds the lock', async () => {
    const lock = await acquireIngestLock({ dbDir: path.join(dir, 'db'), tableName: 'cli' });
    const result = await cli(['--source', path.join(dir, 'docs'), '--db', path.join(dir, 'db'), '--table', 'cli']);
    await lock.release();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Another ingestion of table "cli" is running/);
  });
});

describe('the CLIs and a running service', () => {
  /** A stand-in service that records what reached it and refuses the key (the CLIs stop at the first answer). */
  async function fakeService() {
    const seen: { method: string; url: string; key?: string }[] = [];
    const server = createServer((request, response) => {
      seen.push({ method: request.method!, url: request.url!, key: request.headers['x-api-key'] as string | undefined });
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'invalid_api_key', message: 'The API key is not valid' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('ingest honours KEFU_SERVER and KEFU_ADMIN_KEY (as the keys CLI does) instead of ingesting locally into the live table', async () => {
    const service = await fakeService();
    try {
      const result = await cli(['--source', path.join(dir, 'docs'), '--db', path.join(dir, 'db-not-touched'), '--table', 'cli'], {
        KEFU_SERVER: service.url,
        KEFU_ADMIN_KEY: 'kefu_admin_from_env_0123456789abcdefghij',
      });
      expect(service.seen).toEqual([{ method: 'POST', url: '/v1/admin/ingest', key: 'kefu_admin_from_env_0123456789abcdefghij' }]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('401');
      expect(result.stdout + result.stderr).not.toContain('kefu_admin_from_env');
    } finally {
      await service.close();
    }
  });

  it('takes the admin key from a file (--key-file), never echoed', async () => {
    const service = await fakeService();
    const keyFile = path.join(dir, 'admin.key');
    await writeFile(keyFile, 'kefu_admin_from_file_0123456789abcdefghi\n');
    try {
      const result = await cli(['--server', service.url, '--key-file', keyFile]);
      expect(service.seen[0]).toMatchObject({ url: '/v1/admin/ingest', key: 'kefu_admin_from_file_0123456789abcdefghi' });
      expect(result.stdout + result.stderr).not.toContain('kefu_admin_from_file');
    } finally {
      await service.close();
    }
  });

  it('keys:create makes an integration key, as the README asks for e-mail intake', async () => {
    const result = await cli(['create', '--id', 'mail-relay', '--scopes', 'integration'], {}, 'ingest/keys.ts');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/key \(shown once\): kefu_int_/);
    expect(result.stdout).toContain('"scopes":["integration"]');
    const wrong = await cli(['create', '--id', 'x', '--scopes', 'superuser'], {}, 'ingest/keys.ts');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('widget, integration, admin');
  });
});
