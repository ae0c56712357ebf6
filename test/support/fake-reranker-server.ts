/**
 * TEST DOUBLE — not a reranking model. A local HTTP server speaking the `/rerank` API of vLLM (and, with
 * `format: 'tei'`, of Hugging Face TEI). It scores a document by the share of the query's words it
 * contains, so tests can predict its order; `mode` makes it fail with a 500, hang, answer garbage, or
 * answer raw logits instead of probabilities.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RerankerMode = 'ok' | 'error-500' | 'hang' | 'garbage' | 'logits';

export class FakeRerankerServer {
  mode: RerankerMode = 'ok';
  format: 'vllm' | 'tei' = 'vllm';
  readonly requests: { model?: string; query: string; documents: string[] }[] = [];
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** The double's relevance: share of the query's words (3+ letters) found in the document. */
  static score(query: string, document: string): number {
    const words = query.toLowerCase().match(/[a-z]{3,}|[\u4e00-\u9fff]/g) ?? [];
    const text = document.toLowerCase();
    return words.length ? words.filter((word) => text.includes(word)).length / words.length : 0;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/rerank') {
          response.writeHead(404).end();
          return;
        }
        const parsed = JSON.parse(body) as { model?: string; query: string; documents?: string[]; texts?: string[] };
        const documents = parsed.documents ?? parsed.texts ?? [];
        this.requests.push({ model: parsed.model, query: parsed.query, documents });
        if (this.mode === 'hang') return;
        if (this.mode === 'error-500') {
          response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"model crashed"}');
          return;
        }
        if (this.mode === 'garbage') {
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"unexpected":true}');
          return;
        }
        const scored = documents.map((document, index) => {
          const score = FakeRerankerServer.score(parsed.query, document);
          return { index, score: this.mode === 'logits' ? score * 10 - 5 : score };
        });
        // Real servers return results sorted by relevance, not in input order.
        scored.sort((a, b) => b.score - a.score);
        const payload = this.format === 'tei' ? scored : { id: 'rerank-test', model: parsed.model, results: scored.map(({ index, score }) => ({ index, relevance_score: score })) };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
