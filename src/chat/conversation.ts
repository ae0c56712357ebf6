import type { Channel } from '../answer/prompt-templates.js';
import type { AnswerDone, AnswerMeta, AnswerRequest } from '../answer/answer-service.js';
import type { ChatModel } from '../answer/chat-model.js';
import type { ProductLineClassifier } from '../classify/product-lines.js';
import type { SharedState } from '../state/shared-state.js';
import { detectLanguage, kbLanguageFor, type LanguageCode } from '../text/language.js';
import { resolveFollowUp } from './follow-up.js';
import { conflict, notFound } from '../errors.js';
import { INSIGHT_LOG_MAX_LENGTH, INTERACTIONS_LOG, interactionEntry } from '../insights/interactions.js';
import { isPublicOnly, keyAudiences } from '../store/audiences.js';
import type { SessionStore, Turn } from './session-store.js';

/** One question as the conversation sees it (the HTTP layer's validated body fits this shape). */
export interface ConversationQuestion {
  question: string;
  sessionId?: string;
  productLine?: string;
  /** The client's language (any ISO 639 code): a hint only. */
  lang?: LanguageCode;
  channel?: Channel;
  timeZone?: string;
  region?: string;
  /** The conversation so far, when the caller keeps it (OpenAI-style clients send it; an e-mail thread has it): used without a sessionId. */
  history?: { question: string; answer: string }[];
  /** The API key id asking ('' or absent when keys are off): a session belongs to the key that started it. */
  owner?: string;
  /** The channel the turn is recorded under when it is not `channel` (a messaging app answered in the widget's style). */
  origin?: string;
  /** Names the conversation in the turn's record when there is no session (an e-mail thread); else the answer names it. */
  conversationId?: string;
  /** The audiences the asking key may see (docs/audiences.md); absent is the public alone. */
  audiences?: readonly string[];
}

const LOG_MAX_LENGTH = 100_000;

export interface ConversationOptions {
  /** Applied to customer text (questions, answers, comments) before it is stored anywhere: PII masking. */
  mask?: (text: string) => string;
  /** Applied to the answers instead of `mask`, when set: the masking that keeps the service's own contact line (`maskPiiKeeping`). */
  maskAnswer?: (text: string) => string;
  /** How long an answer can still receive feedback (its record is kept that long). */
  answerRecordTtlSeconds?: number;
}

export interface AnswerRecord {
  answerId: string;
  question: string;
  answer: string;
  mode: string;
  refused: boolean;
  productLine: string;
  lang: string;
  confidence: number;
  /** The question's best cosine to the knowledge base (AnswerDone.similarity): the gaps report's off-topic signal. */
  similarity?: number;
  sessionId?: string;
  channel?: string;
  /** Earlier turns of the conversation (masked), oldest first. */
  context?: { question: string; answer: string }[];
  /**
   * The asking key's audiences, when not the public alone: an agent's question (and its answer from internal
   * sources) is told apart in the gaps report and the exports, and never taken for a customer's.
   */
  audiences?: string[];
  at: string;
}

/**
 * The conversation around one question: loads the session's history, makes a follow-up standalone, and
 * afterwards records the turn, keeps the answer for feedback, and logs a refusal as an unanswered question.
 */
export class Conversations {
  constructor(
    private readonly sessions: SessionStore,
    private readonly state: SharedState,
    private readonly classifier: ProductLineClassifier,
    private readonly chatModel?: ChatModel,
    private readonly options: ConversationOptions = {},
  ) {}

  private mask(text: string): string {
    return this.options.mask ? this.options.mask(text) : text;
  }

  async prepare(body: ConversationQuestion, signal?: AbortSignal): Promise<{ answerRequest: AnswerRequest; onDone: (meta: AnswerMeta, done: AnswerDone) => Promise<void> }> {
    // Another key's session is not continued (its history would reach this caller's answer): as if it did not exist.
    if (body.sessionId && (await this.sessions.access(body.sessionId, body.owner ?? '')) === 'foreign') throw sessionNotFound();
    const history: { question: string; answer: string; turn?: number }[] = body.sessionId ? await this.sessions.history(body.sessionId) : (body.history ?? []);
    const lang = body.lang ? kbLanguageFor(body.lang) : detectLanguage(body.question);
    const resolved = await resolveFollowUp(body.question, history, this.classifier, { chatModel: this.chatModel, lang, signal });
    const answerRequest: AnswerRequest = {
      question: body.question,
      lang: body.lang,
      productLine: body.productLine === 'unknown' ? undefined : body.productLine,
      history: history.flatMap((turn) => [
        { role: 'user' as const, content: turn.question },
        { role: 'assistant' as const, content: turn.answer },
      ]),
      followUp: resolved,
      channel: body.channel,
      timeZone: body.timeZone,
      region: body.region,
      audiences: body.audiences,
    };
    const audiences = keyAudiences(body.audiences);
    const onDone = async (meta: AnswerMeta, done: AnswerDone) => {
      const at = new Date().toISOString();
      // Masked once, here: the answer record, the unanswered log and the session all keep this text.
      const question = this.mask(body.question);
      const answer = this.options.maskAnswer ? this.options.maskAnswer(done.answer) : this.mask(done.answer);
      const record: AnswerRecord = {
        answerId: done.answerId,
        question,
        answer,
        mode: done.mode,
        refused: done.refused,
        productLine: done.productLine,
        lang: meta.language ?? meta.lang,
        confidence: done.confidence,
        ...(done.similarity === undefined ? {} : { similarity: done.similarity }),
        sessionId: body.sessionId,
        channel: body.channel ?? 'api',
        // The turns before this one (already masked in the session): a fine-tuning example needs its conversation.
        context: history.slice(-3).map((turn) => ({ question: turn.question, answer: turn.answer })),
        ...(isPublicOnly(audiences) ? {} : { audiences }),
        at,
      };
      await this.state.setJson(`answer:${done.answerId}`, record, this.options.answerRecordTtlSeconds ?? 7 * 86_400);
      // The middle band's suggestions are a question the knowledge base did not answer either: support should see it.
      if (done.refused || done.mode === 'suggest') await this.state.appendLog('unanswered', { ...record }, LOG_MAX_LENGTH);
      // Every turn on every channel passes here: the dashboard's and conversation review's record. A turn
      // without a session (one API call, an e-mail) is a conversation of its own, named by its answer.
      const turn = (history.at(-1)?.turn ?? history.length) + 1;
      const interaction = {
        ...interactionEntry({ at, sessionId: body.sessionId ?? body.conversationId ?? done.answerId, turn, channel: body.origin ?? record.channel!, question, answer, lang: record.lang, done, retrieved: meta.sources }),
        ...(isPublicOnly(audiences) ? {} : { audiences }),
      };
      await this.state.appendLog(INTERACTIONS_LOG, { ...interaction }, INSIGHT_LOG_MAX_LENGTH);
      if (body.sessionId) {
        await this.sessions.append(body.sessionId, {
          answerId: done.answerId,
          question,
          answer,
          lang: meta.lang,
          productLine: done.productLine,
          productLineName: meta.productLineName,
          notice: done.notice,
          mode: done.mode,
          citations: done.citations.map((citation) => ({
            n: citation.n,
            title: citation.title,
            heading: citation.heading,
            path: citation.path,
            ...(citation.url ? { url: citation.url } : {}),
            ...(citation.internal ? { internal: true as const } : {}),
          })),
          at,
          turn,
        }, body.owner ?? '');
      }
    };
    return { answerRequest, onDone };
  }

  answerRecord(answerId: string): Promise<AnswerRecord | undefined> {
    return this.state.getJson<AnswerRecord>(`answer:${answerId}`);
  }

  /** True while shared state is down: an answer given before the outage cannot be looked up now. */
  get stateDegraded(): boolean {
    return Boolean(this.state.isDegraded);
  }

  /** Records feedback; without the answer's record (shared state down) it keeps what the customer sent. */
  async recordFeedback(feedback: { answerId: string; rating: 'up' | 'down'; comment?: string }, record?: AnswerRecord): Promise<string> {
    const answer = record
      ? {
          question: record.question,
          answer: record.answer,
          mode: record.mode,
          productLine: record.productLine,
          lang: record.lang,
          channel: record.channel,
          context: record.context,
          ...(record.audiences ? { audiences: record.audiences } : {}),
          ...(record.similarity === undefined ? {} : { similarity: record.similarity }),
          answeredAt: record.at,
        }
      : { answerRecordUnavailable: true };
    const comment = feedback.comment === undefined ? undefined : this.mask(feedback.comment);
    return this.state.appendLog('feedback', { ...feedback, comment, ...answer, at: new Date().toISOString() }, LOG_MAX_LENGTH);
  }

  /** A session's turns for the key that owns it; another key's session, or none, is 404 (not a hint that it exists). */
  async ownHistory(sessionId: string, owner: string): Promise<Turn[]> {
    if ((await this.sessions.access(sessionId, owner)) === 'foreign') throw sessionNotFound();
    return this.sessions.history(sessionId);
  }

  async clearSession(sessionId: string, owner: string): Promise<void> {
    if ((await this.sessions.access(sessionId, owner)) === 'foreign') throw sessionNotFound();
    await this.sessions.clear(sessionId);
  }

  /**
   * The visitor's rating of a whole conversation (1–5), with the conversation's size, lines and languages. Only
   * a conversation that exists and is the caller's can be rated, once: five ratings of one session (or ratings
   * of invented ids) would skew what the ratings report.
   */
  async recordRating(sessionId: string, rating: { stars: number; comment?: string }, owner = ''): Promise<string> {
    const turns = await this.ownHistory(sessionId, owner);
    if (!turns.length) throw sessionNotFound();
    const comment = rating.comment === undefined ? undefined : this.mask(rating.comment);
    const id = await this.state.appendLogOnce(
      'conversation_ratings',
      { sessionId, stars: rating.stars, comment, turns: turns.length, refused: turns.filter((turn) => turn.mode === 'refusal').length, productLines: [...new Set(turns.map((turn) => turn.productLine))], langs: [...new Set(turns.map((turn) => turn.lang))], at: new Date().toISOString() },
      LOG_MAX_LENGTH,
      `rating:${sessionId}`,
    );
    if (!id) throw conflict('already_rated', 'This conversation has already been rated');
    return id;
  }

  readLog(name: 'feedback' | 'unanswered' | 'conversation_ratings', count: number) {
    return this.state.readLog(name, count);
  }
}

const sessionNotFound = () => notFound('session_not_found', 'No conversation with this id for this key');
