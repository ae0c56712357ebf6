/**
 * TEST DOUBLE — not an embedding model. A local HTTP server speaking the OpenAI-compatible `/v1/embeddings`
 * API (as vLLM, Hugging Face TEI and Infinity serve it). Its vectors are bags of hashed words and CJK
 * characters, so texts that share words are close and tests can predict what retrieval finds; it answers
 * instantly, which lets a bench measure everything but the model. `failNext` makes the next requests fail
 * with a status (429, 503), `delayMs` slows each request, `dimension` sets the vector size. Both
 * encodings of the API are served: JSON floats and base64 little-endian float32.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class FakeEmbeddingsServer {
  dimension = 64;
  delayMs = 0;
  /** Statuses for the next requests, in order (e.g. [503, 429]); each is used once. */
  failNext: number[] = [];
  readonly requests: { model: string; inputs: number }[] = [];
  /** `encoding_format` of each request (float when absent, as in the API). */
  readonly encodings: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private server?: Server;

  get baseURL(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  static vector(text: string, dimension: number): number[] {
    const vector = new Array<number>(dimension).fill(0);
    for (const token of text.toLowerCase().match(/[a-z0-9]{2,}|[\u4e00-\u9fff]/g) ?? []) {
      const hash = createHash('md5').update(token).digest();
      vector[hash.readUInt32BE(0) % dimension] += 1;
    }
    vector[0] += 0.01;
    return vector;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', async () => {
        if (request.method !== 'POST' || request.url !== '/v1/embeddings') {
          response.writeHead(404).end();
          return;
        }
        const status = this.failNext.shift();
        if (status) {
          response.writeHead(status, { 'content-type': 'application/json', 'retry-after-ms': '10' }).end(JSON.stringify({ error: { message: `test double: ${status}` } }));
          return;
        }
        const parsed = JSON.parse(body) as { model: string; input: string | string[]; encoding_format?: 'float' | 'base64' };
        const inputs = Array.isArray(parsed.input) ? parsed.input : [parsed.input];
        this.requests.push({ model: parsed.model, inputs: inputs.length });
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        this.inFlight--;
        // Out of order on purpose: clients must sort by `index`.
        const encode = (vector: number[]) => (parsed.encoding_format === 'base64' ? Buffer.from(Float32Array.from(vector).buffer).toString('base64') : vector);
        this.encodings.push(parsed.encoding_format ?? 'float');
        const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: encode(FakeEmbeddingsServer.vector(text, this.dimension)) })).reverse();
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', model: parsed.model, data, usage: { prompt_tokens: 0, total_tokens: 0 } }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
