import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireIngestLock } from '../../src/ingest/lock.js';
import { tempDir } from '../support/real-stack.js';

const run = promisify(execFile);
const cli = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'ingest/ingest.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'silent' } }).then(
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

  it('exits 2 with a clear message when another run holds the lock', async () => {
    const lock = await acquireIngestLock({ dbDir: path.join(dir, 'db'), tableName: 'cli' });
    const result = await cli(['--source', path.join(dir, 'docs'), '--db', path.join(dir, 'db'), '--table', 'cli']);
    await lock.release();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Another ingestion of table "cli" is running/);
  });
});
