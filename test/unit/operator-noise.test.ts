import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/ingest/progress.js';

/**
 * What an operator reads on every command: npm must not warn about the project's own config, the install must
 * still skip onnxruntime's CUDA download, and ingest progress must count what it says it counts.
 */
describe('npm scripts', () => {
  it('print no "Unknown project config" warning', async () => {
    const { stderr } = await promisify(execFile)('npm', ['pkg', 'get', 'name'], { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: '' } });
    expect(stderr).not.toMatch(/Unknown project config/);
  });

  it('still install without onnxruntime CUDA downloads wherever installs happen (Dockerfile, CI, quick start)', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile.indexOf('ENV ONNXRUNTIME_NODE_INSTALL=skip')).toBeGreaterThan(-1);
    expect(dockerfile.indexOf('ENV ONNXRUNTIME_NODE_INSTALL=skip')).toBeLessThan(dockerfile.indexOf('RUN npm install'));
    const ci = readFileSync('.ci/run', 'utf8');
    expect(ci.indexOf('export ONNXRUNTIME_NODE_INSTALL=skip')).toBeLessThan(ci.indexOf('\nnpm install'));
    expect(ci).toContain('export ONNXRUNTIME_NODE_INSTALL=skip');
    expect(readFileSync('README.md', 'utf8')).toMatch(/export ONNXRUNTIME_NODE_INSTALL=skip[^\n]*\nnpm install/);
  });
});

describe('ingest progress', () => {
  it('counts embeddings (a chunk is embedded once per model), not chunks', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
    const progress = createProgress(stream);
    // 333 chunks, embedded by the primary model and by one of two language models: 666 embeddings.
    for (const done of [0, 333, 666]) progress.update(done, 666);
    expect(lines[0]).toMatch(/^embedding: 0\/666 embeddings, [\d.]+ embeddings\/s\n$/);
    expect(lines.join('')).not.toMatch(/chunks/);
  });
});
