import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Express } from 'express';
import request, { type Test } from 'supertest';
import { hashKey } from '../../src/http/access.js';
import type { Config } from '../../src/config/config.js';
import type { IngestJobRecord } from '../../src/ingest/jobs.js';
import { WorkspaceServices, type WorkspaceServicesOptions } from '../../src/http/workspace-services.js';
import { createLogger } from '../../src/log.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { WorkspaceLoad } from '../../src/workspaces/workspace-load.js';

/** A test key: its secret and its settings entry (API_KEYS). */
export function testKey(id: string, scopes: string[], workspace?: string) {
  const secret = `kefu_test_${id.replace(/[^a-z0-9]/g, '_')}_0123456789abcdefghij`;
  return { secret, entry: { id, sha256: hashKey(secret), scopes, origins: [], ...(workspace ? { workspace } : {}) } };
}

/**
 * A small knowledge base for workspace `id`: the sample's English in-car manuals (so two workspaces share product
 * names: Drive Link, Drive Cam) and one document only it has, holding its planted `secret`.
 */
export async function writeWorkspaceKnowledge(knowledgeDir: string, secret: string): Promise<void> {
  await mkdir(path.join(knowledgeDir, 'in-car'), { recursive: true });
  for (const file of ['drive-link-manual.en.md', 'drive-cam-d1-manual.en.md', 'drive-assist-adas.en.md', 'carplay-troubleshooting.en.txt']) {
    await cp(path.join('knowledge/in-car', file), path.join(knowledgeDir, 'in-car', file));
  }
  await writeFile(
    path.join(knowledgeDir, 'in-car', 'drive-link-service-pin.en.md'),
    [
      '---',
      'title: Drive Link service PIN',
      'lang: en',
      '---',
      '# Drive Link service PIN',
      '',
      `The Drive Link service PIN is ${secret}. Give the Drive Link service PIN ${secret} to the technician when the Drive Link adapter goes to a service centre for a factory reset.`,
      '',
    ].join('\n'),
  );
}

/** Polls a job through the admin API until it ends. */
export async function waitForJob(app: Express, headers: Record<string, string>, id: string): Promise<IngestJobRecord> {
  for (let attempt = 0; attempt < 900; attempt++) {
    const response = await request(app).get(`/v1/admin/jobs/${id}`).set(headers);
    if (response.status !== 200) throw new Error(`job ${id}: ${response.status} ${response.text}`);
    if (response.body.state !== 'running') return response.body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`job ${id} did not finish`);
}

/**
 * WorkspaceServices over stand-in workspaces (no models, tables or apps: a build records nothing and serves
 * nothing unless `options.build` says otherwise), for tests of what it does around them: files, state, dispatch.
 */
export function standInWorkspaces(config: Config, options: Partial<WorkspaceServicesOptions> = {}): WorkspaceServices {
  return new WorkspaceServices({
    config,
    logger: createLogger('silent'),
    state: new MemoryState(),
    access: {} as never,
    keys: {} as never,
    load: new WorkspaceLoad(10),
    dropTable: async () => undefined,
    build: async () => ({ app: {} as never, metrics: {} as never, jobs: { settled: async () => undefined }, curated: { list: () => [] }, close: async () => undefined }),
    ...options,
  });
}

/** A supertest parser that keeps a binary body (a zip) whole, as one Buffer. */
export const binaryBody: Extract<Parameters<Test['parse']>[0], (response: never, done: never) => void> = (response, done) => {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => done(null, Buffer.concat(chunks)));
};
