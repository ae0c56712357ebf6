/**
 * `npm run bench:workspaces-scale [-- --counts 1,10,100]`: what N workspaces of the sample knowledge base cost one
 * server process. The sample is ingested once and its table copied for each workspace (a Lance table is a
 * self-contained folder); the workspaces are registered in the state's log folder before the server starts.
 * Per N: start-up time to /readyz, resident memory at ready (workspaces are built lazily: none yet), then one
 * question to each workspace (each is built on its first request) and the memory with all N built, and the
 * median time of a workspace's first answer (its build included) and of a later one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { hashKey } from '../src/http/access.js';
import { ingestKnowledgeBase } from '../src/ingest-knowledge-base.js';
import { MemoryState } from '../src/state/shared-state.js';
import { workspaceTable } from '../src/workspaces/workspace-config.js';
import { WorkspaceRegistry } from '../src/workspaces/workspace-registry.js';
import { percentile, round } from './stats.js';

const { values } = parseArgs({ options: { counts: { type: 'string', default: '1,10,100' } } });
const counts = values.counts!.split(',').map(Number);
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-ws-scale-'));
const port = 3990 + (process.pid % 9);
const operator = 'kefu_bench_scale_ops_0123456789abcdefghij';
const base = `http://127.0.0.1:${port}`;
const rssMb = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

let server: ChildProcess | undefined;
try {
  const env = {
    ...process.env,
    DB_DIR: path.join(dir, 'db'),
    WORKSPACES_DIR: path.join(dir, 'workspaces'),
    WORKSPACES_MAX: '1000',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ANSWER_CACHE: 'false',
    API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashKey(operator), scopes: ['operator'], origins: [] }]),
    RATE_LIMIT_KEY_BURST: '1000000',
    RATE_LIMIT_KEY_CEILING_BURST: '1000000',
    RATE_LIMIT_IP_BURST: '1000000',
  };
  const config = loadConfig(env);
  await ingestKnowledgeBase(config, await loadEmbeddingSpaces(config));
  const table = path.join(config.DB_DIR, `${config.TABLE_NAME}.lance`);
  const calibration = path.join(config.DB_DIR, `${config.TABLE_NAME}.calibration.json`);
  const rows: Record<string, number>[] = [];
  let copied = 0;
  for (const count of counts) {
    // Workspace 1 is `default`; the others are created ones, each with a copy of the sample table.
    const logDir = path.join(dir, `logs-${count}`);
    const registry = new WorkspaceRegistry(new MemoryState(Date.now, logDir));
    for (let index = 1; index < count; index++) {
      const id = `w${index}`;
      await registry.create({ id, name: `Workspace ${index}` }, 'bench');
      if (index > copied) {
        await cp(table, path.join(config.DB_DIR, `${workspaceTable(config, id)}.lance`), { recursive: true });
        await cp(calibration, path.join(config.DB_DIR, `${workspaceTable(config, id)}.calibration.json`));
        copied = index;
      }
    }
    const started = performance.now();
    server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env, STATE_LOG_DIR: logDir }, stdio: 'ignore' });
    for (let attempt = 0; attempt < 1500; attempt++) {
      if (
        await fetch(`${base}/readyz`).then(
          (response) => response.ok,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const startupSeconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const readyMb = await rssMb(server.pid!);
    const ask = async (id: string) => {
      const sent = performance.now();
      const response = await fetch(`${base}/v1/ask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': operator, 'x-kefu-workspace': id },
        body: JSON.stringify({ question: 'Can I swim with the Pulse Band 3?' }),
      });
      const body = (await response.json()) as { refused?: boolean };
      if (response.status !== 200 || body.refused) throw new Error(`workspace ${id}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
      return performance.now() - sent;
    };
    const ids = ['default', ...Array.from({ length: count - 1 }, (_, index) => `w${index + 1}`)];
    const first: number[] = [];
    for (const id of ids) first.push(await ask(id));
    const later: number[] = [];
    for (const id of ids) later.push(await ask(id));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const builtMb = await rssMb(server.pid!);
    const row = {
      workspaces: count,
      startupSeconds: round(startupSeconds),
      readyMb: round(readyMb),
      allBuiltMb: round(builtMb),
      perWorkspaceMb: count > 1 ? round((builtMb - readyMb) / (count - 1)) : 0,
      firstAnswerMsP50: round(percentile(first, 50)),
      laterAnswerMsP50: round(percentile(later, 50)),
    };
    rows.push(row);
    console.log(
      `${count} workspace(s): start-up ${row.startupSeconds} s, RSS at ready ${row.readyMb} MB, with all built ${row.allBuiltMb} MB (${row.perWorkspaceMb} MB each); first answer p50 ${row.firstAnswerMsP50} ms (build included), later ${row.laterAnswerMsP50} ms`,
    );
    server.kill('SIGTERM');
    await new Promise((resolve) => server!.once('exit', resolve));
    server = undefined;
  }
  console.log(JSON.stringify(rows));
} finally {
  server?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}
