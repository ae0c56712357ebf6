import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A Redis of a test's own, for tests that kill it and start it again (outages). The port is below the kernel's range
 * of ephemeral ports (32768–60999 by default): while this Redis is down, neither a listener on port 0 (supertest
 * serves each request on one) nor an outgoing connection can take its port, so the restart finds it free. A port
 * another server holds makes redis-server exit at once: the first start tries another port, a restart fails loudly
 * rather than leaving the test talking to someone else's Redis or waiting for an exit that has already happened.
 */
export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, and wait until it is gone (at once when it already is). */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** The running redis-server (for signals such as SIGSTOP). */
  readonly child: ChildProcess;
}

export async function startOwnRedis(extraArgs: string[] = []): Promise<OwnRedis> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      let child = await redisOn(port, extraArgs);
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        get child() {
          return child;
        },
        kill: () => killed(child),
        async restart() {
          await killed(child);
          child = await redisOn(port, extraArgs);
        },
      };
    } catch (error) {
      if (attempt >= 20) throw error;
    }
  }
}

/** Spawns redis-server on `port`; resolves once it says it accepts connections, rejects when it exits before that. */
function redisOn(port: number, extraArgs: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const onExit = (code: number | null) => reject(new Error(`redis-server on port ${port} exited (${code}) before accepting connections: ${output.slice(-300)}`));
    child.once('exit', onExit);
    child.once('error', reject);
    // Read to the end either way: a full pipe would block the server's logging.
    child.stdout!.on('data', (chunk: Buffer) => {
      if (ready) return;
      output += chunk.toString();
      if (/ready to accept connections/i.test(output)) {
        ready = true;
        child.off('exit', onExit);
        resolve(child);
      }
    });
  });
}

/** Kills a child and waits for its exit, also when it has already exited. */
async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
