/**
 * TEST DOUBLE — not a language model. A local OpenAI-compatible HTTP server that behaves like vLLM
 * serving Qwen3-4B-Instruct-2507 closely enough to exercise the client path: SSE chunks in vLLM's
 * `chat.completion.chunk` format with a role delta, content deltas, a finish chunk, a usage chunk and
 * `data: [DONE]`. Its behaviour per request is set by `mode`: a normal streamed answer that cites [1],
 * an answer citing nothing or a source that was not given, one with half-width punctuation in Chinese, a 500, a hang (never answers), a dropped
 * connection mid-stream, or slow tokens.
 *
 * A request with `response_format: { type: "json_schema" }` (structured output, as vLLM's guided decoding takes it)
 * is answered with one non-streamed `chat.completion` whose content is a JSON verdict that satisfies the schema's
 * `verdict` enum: `verdict` chooses "answer" (the grounded answer above, in the `answer` field) or "decline"; 'prose'
 * returns text that is no verdict at all, as a server without guided decoding might. It does not judge anything: the
 * test sets the verdict.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeMode = 'answer' | 'no-citation' | 'bad-citation' | 'error-500' | 'hang' | 'drop' | 'slow' | 'ascii-punctuation' | 'later-sources';

export interface RecordedRequest {
  model: string;
  messages: { role: string; content: string }[];
  stream: boolean;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  frequency_penalty?: number;
  response_format?: { type: string; json_schema?: { name: string; schema: { properties?: { verdict?: { enum?: string[] } } }; strict?: boolean } };
}

export class FakeVllmServer {
  /**
   * What a grounded model writes: a lead-in, then the first sentence of source 1 cited [1] and, when
   * given, of source 2 cited [2] — so citation verification finds each claim in the source it cites.
   */
  static groundedAnswer(prompt: string, chinese: boolean, pick?: number[]): string {
    const all = [...prompt.matchAll(/<source n="(\d+)"[^>]*>\n([\s\S]*?)\n<\/source>/g)];
    const sources = pick ? pick.map((n) => all.find((source) => Number(source[1]) === n)).filter((source): source is RegExpExecArray => Boolean(source)) : all.slice(0, 2);
    const lead = chinese ? '根据资料，可以这样处理。' : 'According to our guide, here is what to do.';
    const claims = sources.map(([, n, text]) => {
      const sentence = (text.split(/(?<=[。！？.!?])\s*/)[0] ?? text).replace(/\[\d+\]/g, '').slice(0, 120).trim();
      return `${sentence}[${n}]`;
    });
    return [lead, ...claims].join(chinese ? '' : ' ');
  }

  mode: FakeMode = 'answer';
  /** What a structured-output (json_schema) request gets. */
  verdict: 'answer' | 'decline' | 'prose' = 'answer';
  /** In 'answer' mode, what to reply instead of the grounded English/Chinese answer (e.g. an answer in Thai). */
  reply?: (prompt: string) => string;
  /** Delay between streamed tokens, in ms ('slow' mode multiplies it by 20). */
  tokenDelayMs = 2;
  readonly requests: RecordedRequest[] = [];
  /** Requests whose client disconnected before the stream finished (cancellation reached the server). */
  cancelled = 0;
  private server?: Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  get baseURL(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}/v1`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    if (request.method === 'GET' && request.url === '/v1/models') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ object: 'list', data: [{ id: 'Qwen/Qwen3-4B-Instruct-2507', object: 'model', owned_by: 'vllm' }] }));
      return;
    }
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      response.statusCode = 404;
      response.end(JSON.stringify({ object: 'error', message: 'Not Found', type: 'NotFoundError', code: 404 }));
      return;
    }
    // Registered before anything is awaited, so a client that gives up early is still counted.
    let closed = false;
    response.on('close', () => {
      if (!response.writableFinished) {
        closed = true;
        this.cancelled++;
      }
    });
    let body = '';
    for await (const chunk of request) body += chunk;
    const parsed = JSON.parse(body) as RecordedRequest;
    this.requests.push(parsed);

    const mode = this.mode;
    if (mode === 'error-500') {
      response.statusCode = 500;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ object: 'error', message: 'CUDA out of memory', type: 'InternalServerError', code: 500 }));
      return;
    }
    if (mode === 'hang') return; // never answers; the client's timeout must fire

    const question = parsed.messages.at(-1)?.content ?? '';
    const chinese = /[\u4e00-\u9fff]/.test(question.split(/Customer's question:|顾客的问题：/).at(-1) ?? '');
    if (parsed.response_format?.type === 'json_schema') {
      const allowed = parsed.response_format.json_schema?.schema.properties?.verdict?.enum ?? [];
      // Guided decoding can only produce what the schema allows: a verdict outside it would be a bug in the double.
      if (this.verdict !== 'prose' && !allowed.includes(this.verdict)) throw new Error(`the schema does not allow the verdict ${this.verdict}`);
      const content =
        this.verdict === 'prose'
          ? 'I think the sources probably cover this.'
          : JSON.stringify({ verdict: this.verdict, answer: this.verdict === 'answer' ? FakeVllmServer.groundedAnswer(question, chinese) : '' });
      // Not streamed, but generated all the same: a slow server is as slow here as for a streamed answer (one
      // delay per four characters), so a test that waits on a slow model sees the call still running.
      if (mode === 'slow') await sleep(Math.ceil(content.length / 4) * this.tokenDelayMs * 20);
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: parsed.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1234, completion_tokens: 20, total_tokens: 1254 },
        }),
      );
      return;
    }
    const text =
      mode === 'no-citation'
        ? chinese ? '这个问题我可以回答，但不引用任何资料。' : 'I can answer that without citing anything.'
        : mode === 'bad-citation'
          ? chinese ? '请参考第九条资料。[9]' : 'See the ninth source. [9]'
          : mode === 'ascii-punctuation'
            ? // A model that ignores the full-width rule: half-width marks in Chinese text, a decimal and a URL.
              FakeVllmServer.groundedAnswer(question, chinese).replace(/。/g, '.').replace(/，/g, ',') + ' 详见 https://help.lumora.example/a?b=1,版本2.5.'
            : mode === 'later-sources'
              ? // Cites the third source, then the first: numbers out of order with a gap, as models do.
                FakeVllmServer.groundedAnswer(question, chinese, [3, 1])
              : this.reply
                ? this.reply(question)
                : FakeVllmServer.groundedAnswer(question, chinese);
    const tokens = text.match(/.{1,4}/gsu) ?? [text];

    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
    const created = Math.floor(Date.now() / 1000);
    const send = (payload: unknown) => response.write(`data: ${JSON.stringify(payload)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: parsed.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    send(chunk({ role: 'assistant', content: '' }));
    for (const [index, token] of tokens.entries()) {
      if (closed) return;
      if (mode === 'drop' && index === 3) {
        request.socket.destroy();
        return;
      }
      await sleep(mode === 'slow' ? this.tokenDelayMs * 20 : this.tokenDelayMs);
      send(chunk({ content: token }));
    }
    send(chunk({}, 'stop'));
    send({ id, object: 'chat.completion.chunk', created, model: parsed.model, choices: [], usage: { prompt_tokens: 1234, completion_tokens: tokens.length, total_tokens: 1234 + tokens.length } });
    response.end('data: [DONE]\n\n');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
