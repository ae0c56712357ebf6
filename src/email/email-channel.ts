import { createHash, randomUUID } from 'node:crypto';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { AnswerDone, AnswerMeta, AnswerService } from '../answer/answer-service.js';
import type { Conversations } from '../chat/conversation.js';
import type { Logger } from '../log.js';
import { conflict, invalid, notFound, tooLarge, unavailable } from '../errors.js';
import type { Language } from '../text/language.js';
import { ContentLabels } from '../moderation/content-label.js';
import type { Moderation } from '../moderation/lexicon.js';
import { cleanDisplayName, composeReply, type ReplyDraft, textToHtml } from './compose-reply.js';
import type { DraftRecord, DraftState, EmailStore } from './email-store.js';
import type { Mailer } from './mailer.js';
import { baseSubject, type ParsedEmail, parseEmail, rawMessageId, threadKeyOf } from './parse-email.js';
import type { ReviewPolicy } from './review-rules.js';
import { emailQuestion } from './email-question.js';
import type { QueueConnection } from '../state/redis-connection.js';
import { automaticMailReason, NOT_ANSWERED_LABELS, type NotAnsweredCode, ownAddress } from './mail-loops.js';

export const DRAFT_QUEUE = 'email-draft';
export const SEND_QUEUE = 'email-send';

export interface EmailChannelSettings {
  /** Where BullMQ opens its connections (from the state's connection factory). */
  connection: QueueConnection;
  /** BullMQ's key prefix (under REDIS_KEY_PREFIX). */
  queuePrefix: string;
  attempts: number;
  backoffMs: number;
  concurrency: number;
  /** A job whose worker stops renewing its lock this long (killed, frozen) goes back to the queue. */
  lockMs: number;
  autoSend: boolean;
  maxBytes: number;
  maxQuestionChars: number;
  companyName: string;
  handoffContact: Record<Language, string>;
  /** Sender of replies, e.g. "Lumora Support <support@lumora.example>". */
  from: string;
  /** Every answer gets at most this long, LLM included, before the job counts as failed and is retried. */
  answerTimeoutMs: number;
  /** Reply caps (a loop with an auto-responder that does not say it is one, a flood): mails per sender and per thread answered in the window. */
  replyLimitPerSender: number;
  replyLimitPerThread: number;
  replyLimitWindowSeconds: number;
  /** AI-content labels: the visible one as the reply's footer, the implicit one as its `AIGC` header. */
  labels?: ContentLabels;
}

export interface EmailChannelDeps {
  store: EmailStore;
  answers: AnswerService;
  conversations: Conversations;
  review: ReviewPolicy;
  mailer: Mailer;
  logger: Logger;
  /** Analytics copies (the admin audit trail) are masked; the mail itself is kept whole. */
  audit: (entry: Record<string, unknown>) => Promise<void>;
  /** Parses a raw message; by default on a worker thread under a time budget (IsolatedMailParser), so hostile mail cannot stall the API. */
  parse?: (raw: Buffer) => Promise<ParsedEmail>;
  /** The sensitive-word lexicon: a draft whose mail or answer holds a term is held for a person (reason `moderated`). */
  moderation?: Moderation;
  /** A reviewer approved a draft (the suggestions learn from edited replies); a failure here never fails the approval. */
  onApproved?: (draft: DraftRecord) => Promise<void>;
  observer?: { received?(source: string): void; drafted?(review: 'held' | 'auto' | 'not_answered'): void; sent?(result: 'sent' | 'failed'): void; deadLetter?(queue: string): void };
}

export interface DeadLetter {
  queue: string;
  jobId: string;
  target: string;
  attemptsMade: number;
  failedReason: string;
  failedAt?: string;
}

/**
 * The e-mail channel: intake, the drafting and sending queues (BullMQ on Redis, so a burst of mail never blocks
 * the API and a crashed worker loses nothing), review, and sending. Drafting reuses the answer pipeline of
 * /v1/ask through Conversations, with the `email` channel: the same routing, retrieval, refusal and citations.
 */
export class EmailChannel {
  readonly draftQueue: Queue;
  readonly sendQueue: Queue;
  private workers: Worker[] = [];

  constructor(
    private readonly deps: EmailChannelDeps,
    private readonly settings: EmailChannelSettings,
  ) {
    const options = { connection: settings.connection, prefix: settings.queuePrefix };
    this.draftQueue = new Queue(DRAFT_QUEUE, options);
    this.sendQueue = new Queue(SEND_QUEUE, options);
    // A Redis outage must not crash the API: an 'error' event without a listener would throw.
    for (const queue of [this.draftQueue, this.sendQueue]) queue.on('error', (error) => deps.logger.warn({ err: error, queue: queue.name }, 'e-mail queue error'));
  }

  private jobOptions(jobId: string) {
    // Failed jobs stay: they are the dead letters the admin API lists and retries.
    return { jobId, attempts: this.settings.attempts, backoff: { type: 'exponential', delay: this.settings.backoffMs }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: false };
  }

  /** Stores a raw message and queues it for drafting; the same Message-ID again is recognised, not drafted twice. */
  async intake(raw: Buffer, source: 'api' | 'inbox', by?: string): Promise<{ id: string; messageId: string; duplicate: boolean }> {
    if (!raw.length) throw invalid('empty_message', 'The message is empty');
    if (raw.length > this.settings.maxBytes) throw tooLarge('message_too_large', `The message is ${raw.length} bytes; the limit is EMAIL_MAX_BYTES = ${this.settings.maxBytes}`);
    const messageId = rawMessageId(raw);
    const id = randomUUID();
    try {
      const existing = await this.deps.store.claimMessage(messageId, id);
      if (existing && (await this.deps.store.email(existing))) {
        // Stored but never queued (Redis failed in between): queue it now rather than lose it.
        if (!(await this.draftQueue.getJob(existing))) await this.draftQueue.add('draft', { emailId: existing }, this.jobOptions(existing));
        return { id: existing, messageId, duplicate: true };
      }
      // A claim whose message was never stored (the intake failed right after claiming) is taken over.
      if (existing) await this.deps.store.reclaimMessage(messageId, id);
      await this.deps.store.saveEmail({ id, messageId, source, receivedAt: new Date().toISOString(), size: raw.length, state: 'queued', by }, raw);
      await this.draftQueue.add('draft', { emailId: id }, this.jobOptions(id));
    } catch (error) {
      // Redis unreachable: the sender (a mail server, an integration, the inbox folder) must try again later.
      throw unavailable('email_unavailable', 'The e-mail queue is unavailable; try again shortly', { cause: error });
    }
    this.deps.observer?.received?.(source);
    return { id, messageId, duplicate: false };
  }

  /** The drafting job: parse, answer with the thread as history, compose, decide on review, save once. */
  async draft(emailId: string): Promise<DraftRecord> {
    const { store } = this.deps;
    const done = await store.draft(emailId);
    if (done) return done;
    const raw = await store.raw(emailId);
    if (!raw) throw new UnrecoverableError(`The raw message of ${emailId} is gone (expired or deleted)`);
    const email = await (this.deps.parse ?? parseEmail)(raw).catch((error: Error) => {
      throw new UnrecoverableError(`The message cannot be parsed: ${error.message}`);
    });
    const sender = email.replyTo ?? email.from;
    // mailparser hands back whatever stood in the angle brackets ("<not-an-address>"): that is nobody to reply to.
    if (!sender || !/^[^@\s]+@[^@\s]+$/.test(sender.address)) throw new UnrecoverableError('The message has no sender address (From or Reply-To): there is nobody to reply to');
    const threadKey = threadKeyOf(email);
    const notAnswered = await this.notAnsweredReason(emailId, email, sender.address, threadKey);
    if (notAnswered) return this.recordNotAnswered(emailId, email, sender, threadKey, notAnswered);
    const thread = (await store.thread(threadKey)).filter((message) => message.messageId !== email.messageId);
    const history = pairTurns(thread);
    const subject = baseSubject(email.subject);
    // Question extraction and the review rules run on this process's event loop: over a stranger's 100,000
    // characters they held it for up to a second under hostile mail (bench:email, /healthz p99). They read the
    // first SCAN_CHARS, where a customer's question is; a longer message is held for a person to read.
    const scanned = email.text.length > SCAN_CHARS ? email.text.slice(0, SCAN_CHARS) : email.text;
    const question = emailQuestion(subject, scanned, { maxChars: this.settings.maxQuestionChars, inThread: history.length > 0 });
    const { meta, done: answer } = await this.answer(question, email.lang, history, threadKey);
    const lang = meta.lang;
    const reply = composeReply(answer, { lang, customerName: email.from?.name ?? '', subject: email.subject, companyName: this.settings.companyName, handoffContact: this.settings.handoffContact[lang], contentLabel: this.settings.labels?.label(answer.mode, lang, answer.answerId).text });
    // A Reply-To in another domain than From sends our answer (perhaps with the customer's details) to a third party.
    // A Reply-To without a From address to check it against (From: Anna <>) counts as elsewhere: the fuzzer found one auto-sent.
    const replyToElsewhere = email.replyTo && (!email.from?.address.includes('@') || domain(email.replyTo.address) !== domain(email.from.address)) ? { from: email.from?.address || '(none)', replyTo: email.replyTo.address } : undefined;
    await this.deps.review.refresh?.();
    const reasons = this.deps.review.reasons({ text: scanned, unscanned: email.text.length > SCAN_CHARS, subject: email.subject, lang, refused: answer.refused, confidence: answer.confidence, mode: answer.mode, truncated: email.truncated, replyToElsewhere });
    // The lexicon applies here as on every channel: such a draft is never sent without a person reading it.
    const lexiconHit = this.deps.moderation?.check(`${email.subject}\n${scanned}`, 'question') ?? this.deps.moderation?.check(answer.answer, 'answer');
    if (lexiconHit) reasons.push({ code: 'moderated', label: MODERATED[lang], matched: lexiconHit.category });
    const autoSend = this.settings.autoSend && reasons.length === 0;
    // Held only because every draft is (auto-send off): the reviewer is told so rather than shown no reason at all.
    if (!this.settings.autoSend && reasons.length === 0) reasons.push({ code: 'review_all', label: REVIEW_ALL[lang] });
    const now = new Date().toISOString();
    const record: DraftRecord = {
      ...mailFields(emailId, email, sender, threadKey, now),
      // The language the answer was written in (the mail's own, or the knowledge base's for another language).
      lang,
      answer: { answerId: answer.answerId, mode: answer.mode, refused: answer.refused, confidence: answer.confidence, productLine: answer.productLine, citations: answer.citations.map((citation) => ({ n: citation.n, title: citation.title, heading: citation.heading })) },
      draft: reply,
      final: autoSend ? reply : undefined,
      review: { required: !autoSend, reasons },
      handoff: answer.refused,
      state: autoSend ? 'approved' : 'pending_review',
      events: [{ at: now, action: 'drafted', by: 'kefu', details: { mode: answer.mode, reasons: reasons.map((reason) => reason.code) } }, ...(autoSend ? [{ at: now, action: 'auto_approved' as const, by: 'kefu' }] : [])],
      sendAttempts: 0,
      createdAt: now,
      updatedAt: now,
    };
    // The customer's message joins the thread first: a crash after it and before the draft repeats nothing (by Message-ID).
    await store.addToThread(threadKey, { messageId: email.messageId, role: 'customer', text: email.text, at: email.date ?? now });
    if (await store.createDraft(record)) {
      await store.updateEmail(emailId, { state: 'drafted' });
      await this.deps.audit({ action: 'email.drafted', draft: emailId, mode: answer.mode, review: reasons.map((reason) => reason.code), autoSend });
      this.deps.observer?.drafted?.(autoSend ? 'auto' : 'held');
      if (autoSend) await this.queueSend(record);
      return record;
    }
    return (await store.draft(emailId))!;
  }

  /** Why this mail gets no reply: what it is (automatic, ours), else whether its sender or thread is past the cap. */
  private async notAnsweredReason(emailId: string, email: ParsedEmail, sender: string, threadKey: string): Promise<NotAnsweredCode | undefined> {
    const automatic = automaticMailReason(email.automatic, [email.from, email.replyTo], ownAddress(this.settings.from));
    if (automatic) return automatic;
    const window = this.settings.replyLimitWindowSeconds;
    // Both counted on every mail, so a sender who is capped stays capped while the flood goes on.
    const [bySender, byThread] = [await this.deps.store.countInWindow('sender', sender, emailId, window), await this.deps.store.countInWindow('thread', threadKey, emailId, window)];
    if (bySender > this.settings.replyLimitPerSender) return 'sender_limit';
    if (byThread > this.settings.replyLimitPerThread) return 'thread_limit';
    return undefined;
  }

  /** Mail that gets no reply is still kept, with why, for a reviewer (state `not_answered`); nothing is queued to send. */
  private async recordNotAnswered(emailId: string, email: ParsedEmail, sender: Mailbox, threadKey: string, code: NotAnsweredCode): Promise<DraftRecord> {
    const now = new Date().toISOString();
    const lang = email.lang;
    const label = NOT_ANSWERED_LABELS[lang][code];
    const record: DraftRecord = {
      ...mailFields(emailId, email, sender, threadKey, now),
      answer: { answerId: '', mode: 'not_answered', refused: false, confidence: 0, productLine: '', citations: [] },
      draft: { subject: '', text: '', html: '' },
      review: { required: false, reasons: [{ code, label }] },
      handoff: false,
      state: 'not_answered',
      notAnswered: { code, label },
      events: [{ at: now, action: 'not_answered', by: 'kefu', details: { code } }],
      sendAttempts: 0,
      createdAt: now,
      updatedAt: now,
    };
    // Not added to the thread: an auto-reply or our own mail coming back is no customer turn of the conversation.
    if (await this.deps.store.createDraft(record)) {
      await this.deps.store.updateEmail(emailId, { state: 'drafted' });
      await this.deps.audit({ action: 'email.not_answered', draft: emailId, reason: code });
      this.deps.observer?.drafted?.('not_answered');
      this.deps.logger.info({ email: emailId, reason: code }, 'e-mail not answered');
      return record;
    }
    return (await this.deps.store.draft(emailId))!;
  }

  private async answer(question: string, lang: Language, history: { question: string; answer: string }[], threadKey: string): Promise<{ meta: AnswerMeta; done: AnswerDone }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.settings.answerTimeoutMs);
    try {
      const { answerRequest, onDone } = await this.deps.conversations.prepare(
        // The thread is the conversation in the turns' record, by a hash: a Message-ID names the sender's domain.
        { question, lang, channel: 'email', history, conversationId: `email-${createHash('sha256').update(threadKey).digest('hex').slice(0, 40)}` },
        controller.signal,
      );
      let meta: AnswerMeta | undefined;
      for await (const event of this.deps.answers.answer(answerRequest, controller.signal)) {
        if (event.type === 'meta') meta = event.data;
        if (event.type === 'done') {
          await onDone(meta!, event.data);
          return { meta: meta!, done: event.data };
        }
      }
      throw new Error('The answer ended without a result');
    } finally {
      clearTimeout(timer);
    }
  }

  private async queueSend(draft: DraftRecord): Promise<void> {
    // One job id per send attempt series: a retried send after a failure is a new job.
    await this.sendQueue.add('send', { draftId: draft.id }, this.jobOptions(`${draft.id}-${draft.sendAttempts + 1}`));
  }

  /** A reviewer approves a draft, optionally with an edited subject or text; it is queued for sending. */
  async approve(id: string, by: string, edits: { text?: string; subject?: string } = {}): Promise<DraftRecord> {
    const at = new Date().toISOString();
    const result = await this.deps.store.transition(id, ['pending_review', 'send_failed'], (draft) => {
      const base = draft.final ?? draft.draft;
      const text = edits.text?.trim() || base.text;
      const subject = edits.subject?.trim() || base.subject;
      const final: ReplyDraft = { subject, text, html: text === base.text ? base.html : textToHtml(text) };
      const details = { edited: text !== draft.draft.text || subject !== draft.draft.subject, textChanged: text !== draft.draft.text, subjectChanged: subject !== draft.draft.subject, charsBefore: draft.draft.text.length, charsAfter: text.length };
      return { ...draft, final, state: 'approved', sendError: undefined, events: [...draft.events, { at, action: 'approved', by, details }] };
    });
    const draft = this.expectChanged(id, result, 'approved');
    await this.queueSend(draft);
    await this.deps.audit({ action: 'email.approved', draft: id, by, ...draft.events.at(-1)!.details });
    await this.deps.onApproved?.(draft).catch((error) => this.deps.logger.warn({ draft: id, err: error }, 'approved reply not turned into a suggestion'));
    return draft;
  }

  async reject(id: string, by: string, reason?: string): Promise<DraftRecord> {
    const result = await this.deps.store.transition(id, ['pending_review', 'send_failed'], (draft) => ({ ...draft, state: 'rejected', events: [...draft.events, { at: new Date().toISOString(), action: 'rejected', by, details: reason ? { reason } : undefined }] }));
    const draft = this.expectChanged(id, result, 'rejected');
    await this.deps.audit({ action: 'email.rejected', draft: id, by });
    return draft;
  }

  private expectChanged(id: string, result: { draft?: DraftRecord; changed: boolean }, to: DraftState): DraftRecord {
    if (!result.draft) throw notFound('draft_not_found', `No draft ${id}`);
    if (!result.changed) throw conflict('draft_state', `The draft is ${result.draft.state}; only a draft pending review (or whose sending failed) can be ${to}`, { state: result.draft.state });
    return result.draft;
  }

  /** The sending job: SMTP with the thread's headers; the reply then joins the thread. */
  async send(draftId: string): Promise<void> {
    const draft = await this.deps.store.draft(draftId);
    if (!draft) throw new UnrecoverableError(`No draft ${draftId}`);
    if (draft.state === 'sent') return;
    if (draft.state !== 'approved') throw new UnrecoverableError(`The draft is ${draft.state}, not approved`);
    const reply = draft.final ?? draft.draft;
    // The same Message-ID on every attempt: a resend after a crash between SMTP and our record is one message to mail clients.
    const messageId = `<kefu-${draft.id}@${domainOf(this.settings.from)}>`;
    const result = await this.deps.mailer.send({
      from: this.settings.from,
      to: draft.replyTo,
      subject: reply.subject,
      text: reply.text,
      html: reply.html,
      messageId,
      inReplyTo: draft.messageId,
      references: [...draft.references, draft.messageId],
      // RFC 3834: our replies say they are automatic responses, so a well-behaved auto-responder does not answer
      // them; Exchange's out-of-office is asked not to answer either.
      headers: {
        'Auto-Submitted': 'auto-replied',
        'X-Auto-Response-Suppress': 'All',
        // The implicit AI-content label.
        ...(this.settings.labels ? { AIGC: ContentLabels.header(this.settings.labels.label(draft.answer.mode, draft.lang, draft.answer.answerId)) } : {}),
      },
    });
    const at = new Date().toISOString();
    // A send that succeeded after failed attempts is sent: the old error no longer describes it.
    await this.deps.store.transition(draftId, ['approved'], (current) => ({ ...current, state: 'sent', sendError: undefined, sent: { messageId, at, accepted: result.accepted }, events: [...current.events, { at, action: 'sent', by: 'kefu', details: { messageId } }] }));
    await this.deps.store.addToThread(draft.threadKey, { messageId, role: 'support', text: reply.text, at });
    await this.deps.audit({ action: 'email.sent', draft: draftId, messageId });
    this.deps.observer?.sent?.('sent');
  }

  /** Runs the drafting and sending workers in this process (the API, or `npm run worker`). */
  startWorkers(): void {
    const options = { connection: this.settings.connection, prefix: this.settings.queuePrefix, concurrency: this.settings.concurrency, lockDuration: this.settings.lockMs, stalledInterval: Math.max(500, Math.floor(this.settings.lockMs / 2)), maxStalledCount: 2 };
    const drafter = new Worker(DRAFT_QUEUE, async (job: Job<{ emailId: string }>) => void (await this.draft(job.data.emailId)), options);
    const sender = new Worker(SEND_QUEUE, async (job: Job<{ draftId: string }>) => this.send(job.data.draftId), options);
    drafter.on('failed', (job, error) => void this.onFailed(DRAFT_QUEUE, job, error));
    sender.on('failed', (job, error) => void this.onFailed(SEND_QUEUE, job, error));
    for (const worker of [drafter, sender]) worker.on('error', (error) => this.deps.logger.warn({ err: error }, 'e-mail worker error'));
    this.workers = [drafter, sender];
  }

  private async onFailed(queue: string, job: Job | undefined, error: Error): Promise<void> {
    if (!job) return;
    const final = error instanceof UnrecoverableError || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    this.deps.logger.warn({ queue, jobId: job.id, attempts: job.attemptsMade, final, err: error }, final ? 'e-mail job dead-lettered' : 'e-mail job failed; it will be retried');
    if (!final) {
      // While BullMQ retries, the reviewer sees it: still approved, with the attempts made so far and the last error.
      if (queue === SEND_QUEUE) await this.deps.store.transition(job.data.draftId, ['approved'], (draft) => ({ ...draft, sendAttempts: draft.sendAttempts + 1, sendError: error.message }));
      return;
    }
    this.deps.observer?.deadLetter?.(queue);
    if (queue === DRAFT_QUEUE) await this.deps.store.updateEmail(job.data.emailId, { state: 'failed', error: error.message });
    else {
      const at = new Date().toISOString();
      await this.deps.store.transition(job.data.draftId, ['approved'], (draft) => ({ ...draft, state: 'send_failed', sendAttempts: draft.sendAttempts + 1, sendError: error.message, events: [...draft.events, { at, action: 'send_failed', by: 'kefu', details: { error: error.message, attempts: job.attemptsMade } }] }));
      this.deps.observer?.sent?.('failed');
    }
  }

  /** Jobs that used up their attempts (or could never succeed): the dead-letter list. */
  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const lists = await Promise.all(
      [this.draftQueue, this.sendQueue].map(async (queue) =>
        (await queue.getFailed(0, limit - 1)).map((job) => ({
          queue: queue.name,
          jobId: job.id!,
          target: (job.data as { emailId?: string; draftId?: string }).emailId ?? (job.data as { draftId: string }).draftId,
          attemptsMade: job.attemptsMade,
          failedReason: job.failedReason,
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
        })),
      ),
    );
    return lists.flat().sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? '')).slice(0, limit);
  }

  /** Puts a dead letter back in its queue (after fixing what made it fail). */
  async retry(queueName: string, jobId: string): Promise<void> {
    const queue = queueName === DRAFT_QUEUE ? this.draftQueue : queueName === SEND_QUEUE ? this.sendQueue : undefined;
    const job = await queue?.getJob(jobId);
    if (!job || !(await job.isFailed())) throw notFound('dead_letter_not_found', `No failed job ${jobId} in ${queueName}`);
    if (queueName === SEND_QUEUE) await this.deps.store.transition(job.data.draftId, ['send_failed'], (draft) => ({ ...draft, state: 'approved' }));
    await job.retry();
  }

  async counts(): Promise<Record<string, Record<string, number>>> {
    return { [DRAFT_QUEUE]: await this.draftQueue.getJobCounts(), [SEND_QUEUE]: await this.sendQueue.getJobCounts() };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
    await Promise.all([this.draftQueue.close(), this.sendQueue.close()]);
  }
}

/** Thread messages as question/answer turns: consecutive customer messages merge, a support reply answers them. */
function pairTurns(messages: { role: 'customer' | 'support'; text: string }[]): { question: string; answer: string }[] {
  const turns: { question: string; answer: string }[] = [];
  let question = '';
  for (const message of messages) {
    if (message.role === 'customer') question = question ? `${question}\n${message.text}` : message.text;
    else if (question) {
      turns.push({ question, answer: message.text });
      question = '';
    }
  }
  // Earlier messages nobody has answered yet still tell the model what the thread is about.
  if (question) turns.push({ question, answer: '' });
  return turns.slice(-6);
}

/** How much of a message's new text the main thread reads for the question and the review rules. */
export const SCAN_CHARS = 10_000;

const MODERATED: Record<Language, string> = { en: 'a sensitive-lexicon term in the mail or the answer (MODERATION_LEXICON_FILE)', zh: '邮件或答复含敏感词（MODERATION_LEXICON_FILE）' };
const REVIEW_ALL: Record<Language, string> = { en: 'every draft is reviewed (EMAIL_AUTO_SEND is off)', zh: '所有草稿均需审核（EMAIL_AUTO_SEND 未开启）' };

const domain = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
type Mailbox = { address: string; name: string };

/** What a draft keeps of the mail it answers, whether it is answered or not. */
function mailFields(emailId: string, email: ParsedEmail, sender: Mailbox, threadKey: string, receivedAt: string) {
  return {
    id: emailId,
    emailId,
    messageId: email.messageId,
    threadKey,
    references: [...new Set([...email.references, ...(email.inReplyTo && !email.references.includes(email.inReplyTo) ? [email.inReplyTo] : [])])],
    from: displayed(email.from ?? sender),
    replyTo: sender.address,
    subject: email.subject,
    receivedAt: email.date ?? receivedAt,
    lang: email.lang,
    customerText: email.text,
    quoted: email.quoted,
    signature: email.signature,
    attachments: email.attachments,
  };
}

/** The sender as the review page shows it: the display name cleaned like the greeting's (it is a stranger's text). */
const displayed = (mailbox: Mailbox) => ({ address: mailbox.address, name: cleanDisplayName(mailbox.name) });

const domainOf = (from: string) => /@([^>\s]+)/.exec(from)?.[1] ?? 'kefu.invalid';
