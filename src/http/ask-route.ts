import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { isTimeZone } from '../answer/prompt-templates.js';
import type { ProductLineClassifier } from '../classify/product-lines.js';
import { badRequest } from './http-error.js';
import { type AnswerRunSettings, type PreparedAnswer, runAnswer } from './answer-run.js';
import { SseWriter } from './sse.js';
import { languageTagSchema } from '../text/language.js';
import { moderateAsk, type AskModeration } from './ask-moderation.js';
import { requestAudiences } from './access.js';

export interface AskRouteOptions extends AnswerRunSettings {
  /** Rate limits, access control and the JSON body parser, in that order. */
  guards: RequestHandler[];
  classifier: ProductLineClassifier;
  maxQuestionChars: number;
  /** Turns the request into what the answer service needs (adds session history); identity by default. */
  prepare?: (body: AskBody & { owner?: string; audiences?: string[] }, signal: AbortSignal) => Promise<PreparedAnswer>;
  /** AI-content labels on every answer and the sensitive-word lexicon (src/http/ask-moderation.ts). */
  moderation?: AskModeration;
}

export const askBodySchema = (maxQuestionChars: number) =>
  z
    .object({
      question: z.string().trim().min(1, 'question must not be empty').max(maxQuestionChars, `question must be at most ${maxQuestionChars} characters`),
      sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'sessionId must be 8–128 letters, digits, - or _').optional(),
      productLine: z.string().min(1).max(32).optional(),
      // The client's language: any ISO 639 code (the widget sends its UI language). Only a hint: the reply is in the question's language.
      lang: languageTagSchema.optional(),
      stream: z.boolean().optional().default(false),
      // Context for the prompt: where the question comes from, and the customer's time zone and region.
      channel: z.enum(['widget', 'api']).optional(),
      timeZone: z.string().max(64).refine(isTimeZone, 'timeZone must be an IANA time zone such as Asia/Shanghai or America/New_York').optional(),
      region: z.string().regex(/^[A-Za-z]{2}$|^[0-9]{3}$/, 'region must be a two-letter region code such as CN or US').optional(),
    })
    .strict();

export type AskBody = z.infer<ReturnType<typeof askBodySchema>>;

/** POST /v1/ask: one question → SSE (`meta`, `token`…, `done`) or one JSON body with the same content. */
export function askRoute(options: AskRouteOptions): Router {
  const router = Router();
  const schema = askBodySchema(options.maxQuestionChars);
  router.post('/v1/ask', ...options.guards, async (request: Request, response: Response) => {
    if (!request.is('application/json')) throw badRequest('Send the question as JSON (Content-Type: application/json)');
    const body = schema.parse(request.body ?? {});
    if (body.productLine && body.productLine !== 'unknown' && !options.classifier.isKnownLine(body.productLine)) {
      throw badRequest(`Unknown productLine "${body.productLine}"; known: ${[...options.classifier.lineIds, options.classifier.rules.general.id].join(', ')}`);
    }
    // What the key may see (docs/audiences.md): the request body cannot widen it.
    const audiences = requestAudiences(request);
    const plainPrepare = async (signal: AbortSignal): Promise<PreparedAnswer> =>
      options.prepare
        ? options.prepare({ ...body, owner: request.apiKey?.id, audiences }, signal)
        : {
            answerRequest: { question: body.question, lang: body.lang, productLine: body.productLine === 'unknown' ? undefined : body.productLine, channel: body.channel, timeZone: body.timeZone, region: body.region, audiences },
          };
    const moderated = moderateAsk(options.moderation, body.question, plainPrepare, response);
    if (moderated.refused) {
      const { meta, done } = moderated.refused;
      if (!body.stream) return void response.json({ ...meta, ...done });
      const sse = new SseWriter(response);
      sse.send('meta', meta);
      sse.send('done', done);
      return void sse.end();
    }
    const prepare = moderated.prepare;
    await runAnswer(request, response, options, prepare, () => {
      const sse = body.stream ? new SseWriter(response) : undefined;
      return {
        streaming: Boolean(sse),
        event: (event, meta) => {
          // A streamed lexicon term is withheld from the customer; `done` then carries the refusal instead.
          if (event.type === 'token' && moderated.withhold(event.data.text)) return;
          if (event.type !== 'done') sse?.send(event.type, event.data);
          else if (sse) sse.send('done', event.data);
          else response.json({ ...meta, ...event.data });
        },
        cut: (error) => sse?.send('error', error),
        failed: (error) => sse?.send('error', error),
        end: () => sse?.end(),
      };
    });
  });
  return router;
}
