import { createHash } from 'node:crypto';
import type { AnswerDone, AnswerMeta, AnswerService } from '../answer/answer-service.js';
import type { Conversations } from '../chat/conversation.js';
import type { Logger } from '../log.js';
import type { ContentLabel, ContentLabels } from '../moderation/content-label.js';
import { type Moderation, type ModerationHit, moderationRefusal } from '../moderation/lexicon.js';
import type { SharedState } from '../state/shared-state.js';
import { detectLanguage } from '../text/language.js';
import type { ChannelMetrics } from './channel-metrics.js';
import { formatReply, type ReplyFormat, splitMessages } from './format-reply.js';

export type ChannelName = 'wechat' | 'wecom' | 'feishu' | 'dingtalk';

/** A customer's text message as a platform delivered it. */
export interface InboundMessage {
  channel: ChannelName;
  /** The platform account it came to (Official Account AppID, WeCom customer-service account open_kfid). */
  account: string;
  /** The customer on that platform (openid, external_userid). */
  user: string;
  /** A group or conversation id where the platform has one; the user alone otherwise. */
  chat?: string;
  /** The platform's id for this message: retries carry the same one. */
  messageId: string;
  text: string;
}

export type TurnOutcome = 'answered' | 'refused' | 'moderated' | 'rate_limited' | 'handoff' | 'failed';

/** One answer, ready for the platform: its messages and what should happen next. */
export interface ChannelAnswer {
  parts: string[];
  outcome: TurnOutcome;
  lang: 'zh' | 'en';
  /** A person should take the conversation over (asked for, refused, stopped by moderation). */
  handoff: boolean;
  /** Why, for the handoff's record and the metric label. */
  reason?: 'requested' | 'refused' | 'moderated';
  answerId?: string;
  label?: ContentLabel;
}

export interface ChannelTurnsOptions {
  answers: AnswerService;
  conversations: Conversations;
  /** For the per-customer rate limit (a token bucket shared by the replicas). */
  state: SharedState;
  handoffContact: { zh: string; en: string };
  labels: ContentLabels;
  moderation?: Moderation;
  metrics: ChannelMetrics;
  logger: Logger;
  rateLimit: { perMinute: number; burst: number };
  answerTimeoutMs: number;
  maxQuestionChars: number;
}

// A customer asking for a person outright: no answer is attempted.
const HUMAN_REQUEST = /^\s*(转人工|转接人工|人工|人工客服|找人工|真人客服|客服人员|human|agent|(talk|speak) to (a )?(human|person|agent))\s*[。.!！?？]*\s*$/i;

/**
 * The channel layer's one path from a platform message to an answer: the platform's user and chat become the
 * session (so history, follow-ups and the answer cache work as on the widget), the question is checked against
 * the sensitive-word lexicon and the customer's rate limit, then answered by the same Conversations →
 * AnswerService pipeline as /v1/ask (product line, PII masking, curated answers, refusal), the streamed answer
 * checked again as it is written, and the result formatted for the platform with its visible label.
 */
export class ChannelTurns {
  constructor(private readonly options: ChannelTurnsOptions) {}

  /** The session of a platform user in a chat: stable, and no platform id in it (ids are personal data). */
  static sessionId(message: Pick<InboundMessage, 'channel' | 'account' | 'user' | 'chat'>): string {
    const digest = createHash('sha256')
      .update(`${message.channel}\u0000${message.account}\u0000${message.user}\u0000${message.chat ?? ''}`)
      .digest('hex');
    return `${message.channel}-${digest.slice(0, 40)}`;
  }

  private text(lang: 'zh' | 'en', zh: string, en: string) {
    return lang === 'zh' ? zh : en;
  }

  async answer(message: InboundMessage, format: ReplyFormat): Promise<ChannelAnswer> {
    const o = this.options;
    const question = message.text.trim().slice(0, o.maxQuestionChars);
    const lang = detectLanguage(question);
    const contact = o.handoffContact[lang];
    const log = o.logger.child({ channel: message.channel, messageId: message.messageId });
    const finish = (answer: ChannelAnswer) => {
      o.metrics.messages.inc({ channel: message.channel, outcome: answer.outcome });
      if (answer.handoff) o.metrics.handoffs.inc({ channel: message.channel, reason: answer.reason ?? 'requested' });
      log.info({ outcome: answer.outcome, answerId: answer.answerId, parts: answer.parts.length, label: answer.label?.kind }, 'channel message answered');
      return answer;
    };
    // Before anything else: a request for a person and a lexicon hit each record a handoff (in WeCom, move the
    // conversation to a person), so a flood of "转人工" or of a banned word is slowed like any question.
    const sessionId = ChannelTurns.sessionId(message);
    const bucket = await o.state.takeToken(`channel:${message.channel}:${sessionId}`, o.rateLimit.burst, o.rateLimit.perMinute / 60);
    if (!bucket.allowed) {
      return finish({
        parts: splitMessages(
          this.text(lang, `您的消息有点多，请 ${bucket.retryAfterSeconds} 秒后再问。`, `You're sending messages quickly; please ask again in ${bucket.retryAfterSeconds} s.`),
          format,
        ),
        outcome: 'rate_limited',
        lang,
        handoff: false,
      });
    }
    if (HUMAN_REQUEST.test(question)) {
      return finish({
        parts: splitMessages(this.text(lang, `好的，正在为您转接人工客服。也可以直接联系：${contact}`, `Sure, passing you to a person. You can also reach us at ${contact}`), format),
        outcome: 'handoff',
        lang,
        handoff: true,
        reason: 'requested',
      });
    }
    const refusedByLexicon = (hit: ModerationHit, where: 'question' | 'answer'): ChannelAnswer => {
      o.metrics.moderationHits.inc({ category: hit.category, where });
      log.warn({ category: hit.category }, 'moderation: lexicon term, answer refused');
      return { parts: splitMessages(moderationRefusal(lang, contact), format), outcome: 'moderated', lang, handoff: true, reason: 'moderated' };
    };
    const questionHit = o.moderation?.check(question, 'question');
    if (questionHit) return finish(refusedByLexicon(questionHit, 'question'));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), o.answerTimeoutMs);
    try {
      // The chat widget's wording and length suit a messaging app: short, conversational.
      const { answerRequest, onDone } = await o.conversations.prepare({ question, sessionId, channel: 'widget', origin: message.channel }, controller.signal);
      const guard = o.moderation?.stream('answer');
      let meta: AnswerMeta | undefined;
      let done: AnswerDone | undefined;
      let streamHit: ModerationHit | undefined;
      for await (const event of o.answers.answer(answerRequest, controller.signal)) {
        if (event.type === 'meta') meta = event.data;
        else if (event.type === 'token') {
          streamHit = guard?.feed(event.data.text);
          // Cut as soon as the term is complete: the model stops generating, nothing of it is sent.
          if (streamHit) {
            controller.abort();
            break;
          }
        } else done = event.data;
      }
      if (streamHit) return finish(refusedByLexicon(streamHit, 'answer'));
      if (!done || !meta) throw new Error('the answer ended without a result');
      // The final text can differ from the stream (a fallback or a quote replacing an ungrounded answer).
      const answerHit = o.moderation?.check(done.answer, 'answer');
      if (answerHit) return finish(refusedByLexicon(answerHit, 'answer'));
      await onDone(meta, done);
      const label = o.labels.label(done.mode, meta.lang, done.answerId);
      const parts = formatReply({ text: done.answer, citations: done.citations, notice: done.notice }, meta.lang, label.text, format);
      return finish({ parts, outcome: done.refused ? 'refused' : 'answered', lang: meta.lang, handoff: done.refused, reason: done.refused ? 'refused' : undefined, answerId: done.answerId, label });
    } catch (error) {
      log.error({ err: error }, 'channel message could not be answered');
      return finish({
        parts: splitMessages(this.text(lang, `抱歉，暂时无法回答，请稍后再试或联系人工客服：${contact}`, `Sorry, I can't answer right now. Please try again later or contact ${contact}`), format),
        outcome: 'failed',
        lang,
        handoff: false,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
