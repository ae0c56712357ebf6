import OpenAI from 'openai';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling settings sent with every generation (LLM_TEMPERATURE, LLM_TOP_P, LLM_FREQUENCY_PENALTY). */
export interface Sampling {
  temperature: number;
  topP?: number;
  /** Discourages the repeated phrases small models fall into in long answers. */
  frequencyPenalty?: number;
}

export interface ChatOptions extends Sampling {
  signal?: AbortSignal;
  maxTokens: number;
}

export interface ChatUsage {
  promptTokens?: number;
  completionTokens?: number;
}

/** The LLM port: a streaming chat model. The OpenAI-compatible adapter below talks to vLLM, llama.cpp, etc. */
export interface ChatModel {
  readonly name: string;
  /** Yields text deltas; throws LlmError on failure. `usage` is filled when the server reports it. */
  stream(messages: ChatMessage[], options: ChatOptions, usage?: ChatUsage): AsyncIterable<string>;
  /** Whether the server answers at all (for /readyz). */
  ping(signal?: AbortSignal): Promise<boolean>;
  /**
   * One non-streamed completion constrained to a JSON schema (structured output: vLLM's guided decoding behind
   * `response_format`); returns the raw content for the caller to parse. Optional: a model without it has the
   * middle band answered with suggestions.
   */
  complete?(messages: ChatMessage[], options: ChatOptions & { schema: { name: string; schema: Record<string, unknown> } }, usage?: ChatUsage): Promise<string>;
}

export class LlmError extends Error {
  constructor(
    readonly kind: 'timeout' | 'connection' | 'server' | 'cancelled' | 'bad-response',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LlmError';
  }
}

export interface OpenAiChatModelOptions {
  baseURL: string;
  apiKey: string;
  model: string;
  /** Whole-request limit. */
  timeoutMs: number;
  /** Limit for the first token; a server that accepts the request but never starts is as bad as one that is down. */
  firstTokenTimeoutMs: number;
}

export class OpenAiChatModel implements ChatModel {
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiChatModelOptions) {
    // maxRetries: 1 — the SDK retries once on connection errors, 408/409/429 and 5xx, with back-off and
    // Retry-After. It never retries a stream that has started, which is what we want.
    this.client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, timeout: options.timeoutMs, maxRetries: 1 });
  }

  get name(): string {
    return this.options.model;
  }

  async *stream(messages: ChatMessage[], options: ChatOptions, usage?: ChatUsage): AsyncIterable<string> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const arm = (ms: number) =>
      setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, ms);
    let timer = arm(this.options.firstTokenTimeoutMs);
    try {
      const stream = await this.client.chat.completions.create(
        {
          model: this.options.model,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: options.maxTokens,
          temperature: options.temperature,
          ...(options.topP !== undefined ? { top_p: options.topP } : {}),
          ...(options.frequencyPenalty !== undefined ? { frequency_penalty: options.frequencyPenalty } : {}),
        },
        { signal: controller.signal },
      );
      let started = false;
      for await (const chunk of stream) {
        if (chunk.usage && usage) {
          usage.promptTokens = chunk.usage.prompt_tokens;
          usage.completionTokens = chunk.usage.completion_tokens;
        }
        const delta = chunk.choices?.[0]?.delta?.content;
        if (!delta) continue;
        if (!started) {
          started = true;
          clearTimeout(timer);
          timer = arm(this.options.timeoutMs);
        }
        yield delta;
      }
      // The SDK's stream iterator ends quietly when its signal aborts mid-stream: a cut-off answer
      // must not pass as a complete one.
      if (controller.signal.aborted) throw new Error('stream aborted');
    } catch (error) {
      if (options.signal?.aborted) throw new LlmError('cancelled', 'the client went away', { cause: error });
      if (timedOut) throw new LlmError('timeout', 'the language model did not answer in time', { cause: error });
      if (error instanceof OpenAI.APIConnectionError) throw new LlmError('connection', `cannot reach the language model: ${error.message}`, { cause: error });
      if (error instanceof OpenAI.APIError) throw new LlmError('server', `language model error ${error.status ?? ''}: ${error.message}`, { cause: error });
      throw new LlmError('bad-response', `language model stream failed: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
    }
  }

  async complete(messages: ChatMessage[], options: ChatOptions & { schema: { name: string; schema: Record<string, unknown> } }, usage?: ChatUsage): Promise<string> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    // Nothing streams, so the first-token limit cannot apply: the whole-request limit does.
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    try {
      const completion = await this.client.chat.completions.create(
        {
          model: this.options.model,
          messages,
          stream: false,
          max_tokens: options.maxTokens,
          temperature: options.temperature,
          ...(options.topP !== undefined ? { top_p: options.topP } : {}),
          response_format: { type: 'json_schema', json_schema: { name: options.schema.name, schema: options.schema.schema, strict: true } },
        },
        { signal: controller.signal },
      );
      if (usage && completion.usage) {
        usage.promptTokens = completion.usage.prompt_tokens;
        usage.completionTokens = completion.usage.completion_tokens;
      }
      return completion.choices?.[0]?.message?.content ?? '';
    } catch (error) {
      if (options.signal?.aborted) throw new LlmError('cancelled', 'the client went away', { cause: error });
      if (timedOut) throw new LlmError('timeout', 'the language model did not answer in time', { cause: error });
      if (error instanceof OpenAI.APIConnectionError) throw new LlmError('connection', `cannot reach the language model: ${error.message}`, { cause: error });
      if (error instanceof OpenAI.APIError) throw new LlmError('server', `language model error ${error.status ?? ''}: ${error.message}`, { cause: error });
      throw new LlmError('bad-response', `language model call failed: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
    }
  }

  async ping(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.client.models.list({ signal, timeout: 2000, maxRetries: 0 });
      return true;
    } catch {
      return false;
    }
  }
}
