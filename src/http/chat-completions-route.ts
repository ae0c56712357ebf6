import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { AnswerDone, AnswerMeta } from '../answer/answer-service.js';
import { sourceList } from '../answer/source-list.js';
import type { ConversationQuestion } from '../chat/conversation.js';
import type { ProductLineClassifier } from '../classify/product-lines.js';
import { AppError, badRequest } from './http-error.js';
import { type AnswerRunSettings, type PreparedAnswer, runAnswer } from './answer-run.js';
import { SseWriter } from './sse.js';
import { moderateAsk, type AskModeration } from './ask-moderation.js';
import { requestAudiences } from './access.js';

/**
 * POST /v1/chat/completions and GET /v1/models: the answer pipeline behind the OpenAI chat API, so any
 * OpenAI-compatible chat client (Open WebUI, LobeChat, Chatbox, the official SDKs) can be a front end.
 * Same retrieval, routing, grounding, citations and refusals as /v1/ask: only the wire format differs.
 */
export interface ChatCompletionsOptions extends AnswerRunSettings {
  guards: RequestHandler[];
  classifier: ProductLineClassifier;
  maxQuestionChars: number;
  /** Earlier turns kept from the client's messages (the newest), like a session's. */
  maxHistoryTurns: number;
  /** Who "owns" the models in /v1/models. */
  companyName: string;
  prepare: (question: ConversationQuestion, signal: AbortSignal) => Promise<PreparedAnswer>;
  /** Labels and the sensitive-word lexicon, as on /v1/ask: without it this endpoint answered what /v1/ask refuses. */
  moderation?: AskModeration;
}

/** The knowledge base as a whole is `kefu` (questions are routed); `kefu/<line>` pins a product line. */
export const KNOWLEDGE_MODEL = 'kefu';

const textPart = z.object({ type: z.literal('text'), text: z.string() }).passthrough();
const otherPart = z.object({ type: z.string() }).passthrough();
const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z.union([z.string(), z.array(z.union([textPart, otherPart])), z.null()]).optional(),
  })
  .passthrough();

// Passthrough: clients send temperature, max_tokens, top_p, user… The service's own settings decide those.
const bodySchema = z
  .object({
    model: z.string().min(1).max(100),
    messages: z.array(message).min(1).max(500),
    stream: z.boolean().optional().default(false),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
  })
  .passthrough();

const textOf = (content: z.infer<typeof message>['content']): string => {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .filter((part): part is z.infer<typeof textPart> => part.type === 'text' && typeof (part as { text?: unknown }).text === 'string')
    .map((part) => part.text)
    .join('\n');
};

/** Our own answers come back in the history with their source list: the model should not see it twice. */
const withoutSourceList = (answer: string) => answer.replace(/\n{2}(?:Sources:|来源：)\n(?:\[\d+\][^\n]*(?:\n|$))+\s*$/u, '').trim();

/** user/assistant pairs from the messages before the last one; system prompts are the service's own, so ignored. */
export function historyFromMessages(messages: { role: string; content: string }[], maxTurns: number): { question: string; answer: string }[] {
  const turns: { question: string; answer: string }[] = [];
  let question: string | undefined;
  for (const entry of messages) {
    if (entry.role === 'user') question = question ? `${question}\n${entry.content}` : entry.content;
    else if (entry.role === 'assistant' && question !== undefined) {
      turns.push({ question, answer: withoutSourceList(entry.content) });
      question = undefined;
    }
  }
  return turns.slice(-maxTurns);
}

export function chatCompletionsRoutes(options: ChatCompletionsOptions): Router {
  const router = Router();
  const general = options.classifier.rules.general.id;
  const modelIds = () => [KNOWLEDGE_MODEL, ...options.classifier.lineIds.map((line) => `${KNOWLEDGE_MODEL}/${line}`)];
  const created = Math.floor(Date.now() / 1000);

  router.get('/v1/models', ...options.guards, (_request: Request, response: Response) => {
    response.json({ object: 'list', data: modelIds().map((id) => ({ id, object: 'model', created, owned_by: options.companyName })) });
  });

  router.post('/v1/chat/completions', ...options.guards, async (request: Request, response: Response) => {
    if (!request.is('application/json')) throw badRequest('Send the request as JSON (Content-Type: application/json)');
    const body = bodySchema.parse(request.body ?? {});
    const model = body.model;
    const line = model === KNOWLEDGE_MODEL ? undefined : model.startsWith(`${KNOWLEDGE_MODEL}/`) ? model.slice(KNOWLEDGE_MODEL.length + 1) : null;
    if (line === null || (line !== undefined && line !== general && !options.classifier.isKnownLine(line))) {
      throw new AppError(404, 'model_not_found', `The model "${model}" does not exist; served: ${modelIds().join(', ')}`);
    }
    const messages = body.messages.map((entry) => ({ role: entry.role, content: textOf(entry.content) }));
    const last = messages.at(-1)!;
    if (last.role !== 'user') throw badRequest('The last message must be the user\'s question (role "user")');
    const question = last.content.trim();
    if (!question) throw badRequest('The last user message has no text');
    if (question.length > options.maxQuestionChars) throw badRequest(`The question must be at most ${options.maxQuestionChars} characters`);
    const history = historyFromMessages(messages.slice(0, -1), options.maxHistoryTurns);
    const id = `chatcmpl-${request.id}`;
    const includeUsage = Boolean(body.stream_options?.include_usage);

    const audiences = requestAudiences(request);
    const moderated = moderateAsk(options.moderation, question, (signal) => options.prepare({ question, productLine: line, channel: 'api', history, audiences }, signal), response);
    if (moderated.refused) {
      const { meta, done } = moderated.refused;
      if (!body.stream) return void response.json(completion(id, model, meta, done));
      const sse = new SseWriter(response);
      const created = Math.floor(Date.now() / 1000);
      sse.data({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { role: 'assistant', content: messageText(meta, done) }, finish_reason: null }] });
      sse.data({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], kefu: extension(done) });
      sse.data('[DONE]');
      return void sse.end();
    }
    await runAnswer(request, response, options, moderated.prepare, () => {
      if (!body.stream) {
        return {
          streaming: false,
          event: (event, meta) => {
            if (event.type === 'done') response.json(completion(id, model, meta!, event.data));
          },
          cut: () => undefined,
          failed: () => undefined,
          end: () => undefined,
        };
      }
      const sse = new SseWriter(response);
      const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
        sse.data({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
      let streamed = '';
      chunk({ role: 'assistant', content: '' });
      return {
        streaming: true,
        event: (event, meta) => {
          if (event.type === 'token') {
            // A streamed lexicon term is withheld; `done` then carries the refusal, set apart after what was shown.
            if (moderated.withhold(event.data.text)) return;
            streamed += event.data.text;
            chunk({ content: event.data.text });
          } else if (event.type === 'done') {
            const full = messageText(meta!, event.data);
            // A generated answer that cited nothing valid is replaced by a quote after it streamed: a chat
            // client cannot take text back, so the replacement follows, set apart, instead of the rest.
            const rest = full.startsWith(streamed) ? full.slice(streamed.length) : `\n\n---\n${full}`;
            if (rest) chunk({ content: rest });
            chunk({}, 'stop', { kefu: extension(event.data) });
            if (includeUsage) sse.data({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [], usage: usage(event.data) });
            sse.data('[DONE]');
          }
        },
        // vLLM and OpenAI end a failed stream with an error object in a data line.
        cut: (error) => sse.data({ error: { ...error, type: 'server_error' } }),
        failed: (error) => sse.data({ error: { ...error, type: 'server_error' } }),
        end: () => sse.end(),
      };
    });
  });
  return router;
}

/**
 * The answer as a chat client shows it: text, the quoted-text notice, then the numbered sources. The notice is a
 * sentence of its own with its own brackets ("…（未使用生成模型）。", "… (no generated text)."): wrapped in more, it read
 * "(以下内容直接摘自帮助资料（未使用生成模型）。)".
 */
function messageText(meta: AnswerMeta, done: AnswerDone): string {
  return [done.answer, done.notice ?? '', sourceList(done.citations, meta.language ?? meta.lang)].filter(Boolean).join('\n\n');
}

const usage = (done: AnswerDone) => {
  const prompt = done.usage.promptTokens ?? 0;
  const completion = done.usage.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
};

/** What a plain chat client ignores and an integration can use: the same fields /v1/ask returns. */
const extension = (done: AnswerDone) => ({
  answerId: done.answerId,
  mode: done.mode,
  refused: done.refused,
  confidence: done.confidence,
  productLine: done.productLine,
  notice: done.notice,
  citations: done.citations,
  // The middle band: questions to pick (mode "suggest"), or the model's verdict.
  ...(done.suggestions ? { suggestions: done.suggestions } : {}),
  ...(done.verdict ? { verdict: done.verdict } : {}),
});

function completion(id: string, model: string, meta: AnswerMeta, done: AnswerDone) {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: messageText(meta, done), refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: usage(done),
    kefu: extension(done),
  };
}
