import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

interface Cruise {
  summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: { name: string }[] }[]; ruleSetUsed: { forbidden: { name: string }[] } };
}

/** The rules in .dependency-cruiser.cjs, run the way `npm run lint` runs them (CI fails on any violation). */
async function cruise(): Promise<Cruise> {
  const binary = path.join(root, 'node_modules/.bin/depcruise');
  // depcruise exits non-zero on a violation; the JSON report is on stdout either way.
  const { stdout } = await run(binary, ['src', 'ingest', 'eval', 'bench', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: root, maxBuffer: 64 << 20 }).catch(
    (error: { stdout: string }) => error,
  );
  return JSON.parse(stdout) as Cruise;
}

describe('house rules: the import layering is written down and holds', () => {
  it('states the layering rules and the code breaks none of them (no cycles, nothing imports http, ingest below answering, drivers in their adapters)', async () => {
    const { summary } = await cruise();
    const rules = summary.ruleSetUsed.forbidden.map((rule) => rule.name);
    expect(rules).toEqual(
      expect.arrayContaining([
        'no-circular',
        'http-is-the-top',
        'ingest-below-answering',
        'adapters-know-no-domain',
        'lancedb-only-in-store',
        'redis-only-in-state',
        'src-stands-alone',
        'http-over-services',
      ]),
    );
    expect(summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`)).toEqual([]);
  }, 120_000);

  it('throws no HTTP status outside src/http', async () => {
    const { stdout } = await run('git', ['grep', '-l', '-E', 'new AppError\\(|throw .*status: *[0-9]{3}', '--', 'src'], { cwd: root }).catch((error: { stdout: string }) => error);
    const outside = stdout
      .split('\n')
      .filter(Boolean)
      .filter((file) => !file.startsWith('src/http/'));
    expect(outside).toEqual([]);
  });

  it("parses a chunk's metadata JSON only in src/store (the record hands it out parsed; lint/chunk-metadata.grit fails a new parse)", async () => {
    const biome = JSON.parse(await readFile(path.join(root, 'biome.json'), 'utf8'));
    expect(biome.plugins.map((plugin: { path: string }) => plugin.path)).toContain('./lint/chunk-metadata.grit');
    const { stdout } = await run('git', ['grep', '-l', '-E', 'JSON[.]parse[(][^)]*metadata', '--', 'src', 'ingest', 'eval', 'bench'], { cwd: root }).catch((error: { stdout: string }) => error);
    expect(stdout.split('\n').filter((file) => file && !file.startsWith('src/store/'))).toEqual([]);
  });

  it('reads process.env only in the settings schema, or where the linter was told why', async () => {
    const biome = JSON.parse(await readFile(path.join(root, 'biome.json'), 'utf8'));
    expect(biome.linter.rules.style.noProcessEnv).toBe('error');
    const allowed = biome.overrides.find((override: { linter?: { rules?: { style?: { noProcessEnv?: string } } } }) => override.linter?.rules?.style?.noProcessEnv === 'off');
    const inSrc = (allowed.includes as string[]).filter((pattern) => pattern.startsWith('src/'));
    expect(inSrc.sort()).toEqual(['src/config/config.ts', 'src/ingest/jobs.ts', 'src/store/lance-runtime.ts']);
  });
});
