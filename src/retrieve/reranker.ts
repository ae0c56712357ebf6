import { z } from 'zod';

/**
 * The reranker port: scores how well each document answers the query, in [0, 1], in the documents' order.
 * A cross-encoder (Qwen3-Reranker, bge-reranker) reads question and passage together, which neither
 * retriever does; its score also feeds answerability.
 */
export interface Reranker {
  readonly name: string;
  rerank(query: string, documents: string[], signal?: AbortSignal): Promise<number[]>;
}

export class RerankerError extends Error {
  override name = 'RerankerError';
}

// vLLM, Jina and Cohere answer {results: [{index, relevance_score}]}; Hugging Face TEI answers [{index, score}].
const resultsResponse = z.object({ results: z.array(z.object({ index: z.number().int().min(0), relevance_score: z.number() })) });
const teiResponse = z.array(z.object({ index: z.number().int().min(0), score: z.number() }));

export interface HttpRerankerOptions {
  /** Base URL of the server, e.g. http://vllm-reranker:8000 (POST {url}/rerank; a URL ending in /rerank is used as is). */
  url: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * The `/rerank` API served by vLLM (e.g. Qwen3-Reranker-0.6B), Hugging Face TEI and Infinity. The
 * request carries both field names (`documents` for vLLM/Infinity/Jina, `texts` for TEI). Scores outside
 * [0, 1] (raw logits) are squashed with a sigmoid so they stay comparable with probabilities.
 */
export class HttpReranker implements Reranker {
  readonly name: string;
  private readonly endpoint: string;

  constructor(private readonly options: HttpRerankerOptions) {
    this.name = `http:${options.model}`;
    this.endpoint = /\/rerank\/?$/.test(options.url) ? options.url : `${options.url.replace(/\/+$/, '')}/rerank`;
  }

  async rerank(query: string, documents: string[], signal?: AbortSignal): Promise<number[]> {
    if (documents.length === 0) return [];
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
        body: JSON.stringify({ model: this.options.model, query, documents, texts: documents, top_n: documents.length, return_documents: false }),
        signal: combined,
      });
    } catch (error) {
      throw new RerankerError(timeout.aborted ? `reranker timed out after ${this.options.timeoutMs} ms` : `reranker unreachable: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw new RerankerError(`reranker answered HTTP ${response.status}`);
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new RerankerError('reranker answered with invalid JSON', { cause: error });
    }
    const parsed = resultsResponse.safeParse(body);
    const tei = parsed.success ? undefined : teiResponse.safeParse(body);
    const results = parsed.success ? parsed.data.results.map((entry) => ({ index: entry.index, score: entry.relevance_score })) : tei?.success ? tei.data : undefined;
    if (!results) throw new RerankerError('reranker answered in an unknown format');
    const scores = new Array<number>(documents.length).fill(Number.NaN);
    for (const { index, score } of results) if (index < documents.length) scores[index] = score;
    if (scores.some(Number.isNaN)) throw new RerankerError('reranker did not score every document');
    const squash = scores.some((score) => score < 0 || score > 1);
    return squash ? scores.map((score) => 1 / (1 + Math.exp(-score))) : scores;
  }
}
