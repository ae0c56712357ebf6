import { Worker } from 'node:worker_threads';
import { EmailParseError, type ParsedEmail } from './parse-email.js';

export interface MailParserSettings {
  /** A message whose parsing takes longer than this is given up as unparseable (and its thread stopped). */
  timeoutMs: number;
  /** The decoded body is cut to this many characters before it is split into new text, quote and signature. */
  maxTextChars: number;
}

/**
 * Parses mail on a worker thread, one message at a time, each under a time budget. Drafting runs in the API
 * process by default; before this, one 200 KB message of spaces held the API's event loop for 18 s. The
 * parsing code is linear now, but MIME trees, charsets and HTML are large attack surfaces: the budget and the
 * thread make any regression cost a failed draft, not an outage. A timed-out thread is terminated and a new one
 * started for the next message.
 */
export class IsolatedMailParser {
  private worker?: Promise<Worker>;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  private closed = false;

  constructor(private readonly settings: MailParserSettings) {}

  parse(raw: Buffer): Promise<ParsedEmail> {
    const run = this.queue.then(() => this.run(raw));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(raw: Buffer): Promise<ParsedEmail> {
    if (this.closed) throw new Error('The mail parser is closed');
    const worker = await (this.worker ??= startWorker(this.settings));
    const id = ++this.nextId;
    return new Promise<ParsedEmail>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      const onMessage = (message: { id: number; email?: ParsedEmail; error?: string }) => {
        if (message.id !== id) return;
        finish();
        if (message.email) resolve(message.email);
        else reject(new EmailParseError(message.error ?? 'unknown error'));
      };
      const onError = (error: Error) => {
        finish();
        this.worker = undefined;
        reject(error);
      };
      const timer = setTimeout(() => {
        finish();
        this.worker = undefined;
        void worker.terminate();
        reject(new EmailParseError(`parsing took longer than ${this.settings.timeoutMs} ms (EMAIL_PARSE_TIMEOUT_MS); the message was given up`));
      }, this.settings.timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      // A copy, not a transfer: the caller keeps its buffer (it may be a slice of a larger one).
      worker.postMessage({ id, raw: new Uint8Array(raw) });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = await this.worker?.catch(() => undefined);
    this.worker = undefined;
    await worker?.terminate();
  }
}

async function startWorker(settings: MailParserSettings): Promise<Worker> {
  // From source the worker is TypeScript, and Node 20 does not pass `--import tsx` on to workers (as in worker-embedder.ts).
  const workerData = { maxTextChars: settings.maxTextChars };
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./parse-email-worker.ts', import.meta.url).href)}); });`, { eval: true, workerData })
    : new Worker(new URL('./parse-email-worker.js', import.meta.url), { workerData });
  // An idle parser must not keep a finished process (a CLI, a test) alive.
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return worker;
}
