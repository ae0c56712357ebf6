import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.js';
import { LockHeldError } from './lock.js';
import type { IngestSummary } from './run-ingestion.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs an ingestion of the knowledge folder in a child process (`ingest/ingest.ts --json`), so that
 * parsing, chunking, embedding and calibration never hold the serving event loop: the API keeps answering
 * while an admin re-ingests. The child gets the service's settings as its environment; its table lock
 * still guards against every other run. Exit code 1 (some files failed, the rest committed) is a result.
 */
export function runIngestionJob(config: Config, options: { signal?: AbortSignal } = {}): Promise<IngestSummary> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(config)) if (value !== undefined) env[key] = String(value);
  return new Promise((resolve, reject) => {
    // tsx as a loader in the same process (not its CLI, which forks again): the pid we nice and signal is the run's.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'ingest/ingest.ts'), '--json'], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
    // Below the server's priority: on a small machine the answers come first, the ingestion takes longer.
    if (child.pid) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // not permitted here: run at normal priority
      }
    }
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 || code === 1) {
        try {
          resolve(JSON.parse(stdout) as IngestSummary);
        } catch (error) {
          reject(new Error(`ingestion printed no summary: ${stderr.trim().split('\n').at(-1) ?? ''}`, { cause: error }));
        }
        return;
      }
      const message = stderr.trim().split('\n').filter((line) => line.startsWith('ingest:')).at(-1)?.replace(/^ingest: /, '') ?? `ingestion exited with code ${code}`;
      reject(/Another ingestion/.test(message) ? new LockHeldError(message) : new Error(message));
    });
  });
}
