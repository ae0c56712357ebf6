import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import type { ChatModel } from '../answer/chat-model.js';
import type { CuratedAnswers, CuratedEntry } from '../answer/curated.js';
import { conflict, invalid } from '../errors.js';
import type { DocumentFiles } from '../ingest/document-files.js';
import type { IngestJobRecord, IngestJobs } from '../ingest/jobs.js';
import { defaultGapWindow, type GapLogs, readGapSignals } from '../insights/gap-signals.js';
import type { Gap, GapFix, GapReporter } from '../insights/gaps.js';
import type { HybridRetriever } from '../retrieve/hybrid-retriever.js';
import { isPublicOnly, keyAudiences, PUBLIC_AUDIENCE, PUBLIC_ONLY } from '../store/audiences.js';
import { detectLanguage, type Language } from '../text/language.js';
import { draftAnswer } from './draft-answer.js';
import { faqEntry } from './faq-entry.js';
import { type Suggestion, type SuggestionSource, type SuggestionStore, suggestionId } from './suggestion-store.js';

export interface SuggestionsDeps {
  store: SuggestionStore;
  gaps: GapReporter;
  /** The `unanswered` and `feedback` logs the gaps come from. */
  logs: GapLogs;
  retriever: Pick<HybridRetriever, 'retrieve'>;
  curated: Pick<CuratedAnswers, 'create'>;
  documents: Pick<DocumentFiles, 'incomingFile' | 'place'>;
  jobs: Pick<IngestJobs, 'start'>;
  /** Drafts answers for gaps nobody answered; without it they need an author. */
  chatModel?: ChatModel;
  maxDraftTokens: number;
  /** PII masking for what is stored (questions and answers), as everywhere else. */
  mask?: (text: string) => string;
  /** A FAQ entry keeps its product line only when it is a line the classifier knows. */
  isKnownLine?: (id: string) => boolean;
}

/** A question a person answered, from any channel. */
export interface HumanAnswer {
  kind: 'email' | 'handoff';
  /** The draft or handoff id. */
  ref: string;
  by?: string;
  question: string;
  answer: string;
  lang?: Language;
  productLine?: string;
  /** The audiences of the key the question came with (a handoff opened with an agent-assist key); absent: the public. */
  askedBy?: readonly string[];
}

export interface AcceptEdits {
  as: 'curated' | 'faq';
  question?: string;
  answer?: string;
  paraphrases?: string[];
}

/** Nearest documents shown with a suggestion (and given to the model that drafts one). */
const SOURCES = 3;
/** Wordings of a gap kept as paraphrases (a curated answer takes up to 50). */
const MAX_PARAPHRASES = 20;
/** Question ids kept to find the gap again: the newest, which stay in the window longest; bounds a large gap's record. */
const MAX_SIGNAL_IDS = 500;

/**
 * Suggested answers: human replies (approved, edited e-mail; a handoff's resolution) matched to the knowledge gap
 * they answer, and drafts for gaps nobody answered, each with the gap's wordings, impact and nearest documents.
 * Accepting one makes it a curated answer or a FAQ entry (a new knowledge version through the ingestion job);
 * the gaps report then links the gap to it.
 */
export class Suggestions {
  constructor(private readonly deps: SuggestionsDeps) {}

  /** Open ones first, by how many customers asked, then the most recently asked. */
  async list(status?: Suggestion['status']): Promise<Suggestion[]> {
    const all = await this.deps.store.list();
    const rank = (suggestion: Suggestion) => (suggestion.status === 'open' ? 0 : 1);
    return all
      .filter((suggestion) => !status || suggestion.status === status)
      .sort((a, b) => rank(a) - rank(b) || b.impact.asked - a.impact.asked || b.impact.lastAsked.localeCompare(a.impact.lastAsked) || b.updatedAt.localeCompare(a.updatedAt));
  }

  get(id: string): Promise<Suggestion> {
    return this.deps.store.get(id);
  }

  /** A person's answer becomes a suggestion attached to the gap it answers (the same origin again replaces an open one). */
  async fromHumanAnswer(input: HumanAnswer): Promise<Suggestion> {
    const id = suggestionId(input.kind, input.ref);
    const existing = await this.deps.store.find(id);
    if (existing && existing.status !== 'open')
      throw conflict('suggestion_decided', `The suggestion from this ${input.kind} was already ${existing.status}`, { suggestion: id, status: existing.status });
    const question = this.mask(input.question.trim());
    const answer = this.mask(input.answer.trim());
    const lang = input.lang ?? detectLanguage(question);
    const now = new Date().toISOString();
    const audiences = internalAudiences(input.askedBy);
    const located = await this.deps.gaps.locate(await this.signalsAskedBy(input.askedBy), question);
    const sources = await this.nearest(`${question}\n${answer}`, lang);
    return this.deps.store.put({
      id,
      status: 'open',
      origin: { kind: input.kind, ref: input.ref, by: input.by },
      ...(audiences ? { audiences, internal: true } : {}),
      question,
      paraphrases: located ? paraphrasesOf(located.gap, question) : [],
      lang,
      productLine: input.productLine ?? located?.gap.productLine,
      answer,
      answerBy: 'human',
      needsAuthor: false,
      sources: sources.map(({ text: _text, ...source }) => source),
      gap: located ? { id: located.gap.id, signalIds: located.signalIds.slice(-MAX_SIGNAL_IDS), similarity: round(located.similarity) } : undefined,
      impact: located ? impactOf(located.gap) : { asked: 1, refused: 0, thumbsDown: 0, firstAsked: now, lastAsked: now },
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
  }

  /**
   * The largest gaps nobody has answered or been suggested for yet get a suggestion each: an answer drafted by the
   * chat model from the nearest documents when there is one and they hold it, else marked as needing an author.
   */
  async fromGaps(limit: number, signal?: AbortSignal): Promise<Suggestion[]> {
    const known = await this.deps.store.list();
    const covered = new Set(known.flatMap((suggestion) => suggestion.gap?.signalIds ?? []));
    const gaps = await this.deps.gaps.reportWithSignals(await readGapSignals(this.deps.logs, defaultGapWindow()), this.fixesOf(known));
    const created: Suggestion[] = [];
    for (const { gap, signalIds } of gaps) {
      if (created.length >= limit) break;
      const id = suggestionId('gap', gap.id);
      if (gap.fixedBy || signalIds.some((signalId) => covered.has(signalId)) || known.some((suggestion) => suggestion.id === id)) continue;
      const lang = (gap.languages.find((code) => code === 'zh' || code === 'en') as Language | undefined) ?? detectLanguage(gap.example);
      const sources = await this.nearest(gap.example, lang);
      const drafted = this.deps.chatModel ? await draftAnswer(this.deps.chatModel, gap.example, lang, sources, { maxTokens: this.deps.maxDraftTokens, signal }) : undefined;
      const now = new Date().toISOString();
      created.push(
        await this.deps.store.put({
          id,
          status: 'open',
          origin: { kind: 'gap', ref: gap.id },
          question: gap.example,
          paraphrases: paraphrasesOf(gap, gap.example),
          lang,
          productLine: gap.productLine,
          answer: drafted ? this.mask(drafted) : '',
          answerBy: drafted ? 'model' : 'none',
          needsAuthor: !drafted,
          sources: sources.map(({ text: _text, ...source }) => source),
          gap: { id: gap.id, signalIds: signalIds.slice(-MAX_SIGNAL_IDS), similarity: 1 },
          impact: impactOf(gap),
          createdAt: now,
          updatedAt: now,
        }),
      );
    }
    return created;
  }

  /**
   * Accepts a suggestion, edited or not: a curated answer at once, or a FAQ entry written to the uploads folder and
   * ingested by a job (the new knowledge version serves when it succeeds). Logged in `suggestions-accepted`.
   * Two reviewers accepting the same one at the same moment on two replicas could both succeed: the check is
   * read-then-write, as for curated answers.
   */
  async accept(id: string, edits: AcceptEdits, by: string): Promise<{ suggestion: Suggestion; job?: IngestJobRecord; curated?: CuratedEntry }> {
    const suggestion = this.open(await this.deps.store.get(id));
    const question = edits.question?.trim() || suggestion.question;
    const answer = edits.answer?.trim() || suggestion.answer;
    const paraphrases = [...new Set((edits.paraphrases ?? suggestion.paraphrases).map((text) => text.trim()).filter((text) => text && text !== question))];
    if (!answer) throw invalid('answer_required', 'This suggestion has no answer yet: send one with `answer` to accept it');
    const edited = question !== suggestion.question || answer !== suggestion.answer || JSON.stringify(paraphrases) !== JSON.stringify(suggestion.paraphrases);
    const at = new Date().toISOString();
    let decision: Suggestion['decision'];
    let job: IngestJobRecord | undefined;
    let curated: CuratedEntry | undefined;
    // Only a line the classifier knows: "unknown" (what the gaps hold for an unclassified question) would hide the
    // entry from a widget that states its line.
    const productLine = suggestion.productLine && this.deps.isKnownLine?.(suggestion.productLine) ? suggestion.productLine : undefined;
    if (edits.as === 'curated') {
      curated = await this.deps.curated.create({ question, answer, lang: suggestion.lang, productLine, paraphrases: paraphrases.slice(0, 50), audiences: suggestion.audiences }, by);
      decision = { by, at, as: 'curated', curatedId: curated.id, edited };
    } else {
      const entry = faqEntry(id, { question, answer, lang: suggestion.lang, productLine, audiences: suggestion.audiences });
      const incoming = await this.deps.documents.incomingFile();
      await writeFile(incoming, entry.content);
      let path: string | undefined;
      try {
        // Placed under the job's lock, as an upload is: a running ingestion never sees it half-way.
        job = await this.deps.jobs.start('upload', {
          reason: `FAQ entry from suggestion ${id}`,
          startedBy: by,
          prepare: async () => {
            path = await this.deps.documents.place(incoming, entry.fileName);
          },
        });
      } finally {
        if (!path) await rm(incoming, { force: true });
      }
      decision = { by, at, as: 'faq', docId: entry.docId, path, jobId: job.id, edited };
    }
    const accepted = await this.deps.store.put({ ...suggestion, question, answer, paraphrases, needsAuthor: false, status: 'accepted', decision, updatedAt: at });
    await this.deps.store.logAccepted({
      id: randomUUID(),
      at,
      by,
      suggestionId: id,
      question,
      paraphrases,
      lang: suggestion.lang,
      accepted: decision.curatedId ? { curatedId: decision.curatedId } : { docId: decision.docId },
    });
    return { suggestion: accepted, job, curated };
  }

  async reject(id: string, by: string, reason?: string): Promise<Suggestion> {
    const suggestion = this.open(await this.deps.store.get(id));
    const at = new Date().toISOString();
    return this.deps.store.put({ ...suggestion, status: 'rejected', decision: { by, at, reason }, updatedAt: at });
  }

  /** Accepted suggestions as the gaps report links them to the gaps they fixed. */
  async fixes(): Promise<GapFix[]> {
    return this.fixesOf(await this.deps.store.list());
  }

  private fixesOf(suggestions: Suggestion[]): GapFix[] {
    return suggestions
      .filter((suggestion) => suggestion.status === 'accepted' && suggestion.decision?.as)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
      .map((suggestion) => ({
        suggestionId: suggestion.id,
        at: suggestion.decision!.at,
        as: suggestion.decision!.as!,
        curatedId: suggestion.decision!.curatedId,
        docId: suggestion.decision!.docId,
        signalIds: suggestion.gap?.signalIds ?? [],
        question: suggestion.question,
      }));
  }

  /**
   * The failed questions a human answer may close: the customers' for a customer's question, else only those asked
   * with the same audiences (an agent's answer closing a public gap would mark it fixed by an entry customers never see).
   */
  private async signalsAskedBy(askedBy: readonly string[] | undefined) {
    if (isPublicOnly(askedBy)) return readGapSignals(this.deps.logs, defaultGapWindow());
    const same = keyAudiences(askedBy).join(',');
    return (await readGapSignals(this.deps.logs, { ...defaultGapWindow(), audience: 'internal' })).filter((signal) => keyAudiences(signal.audiences).join(',') === same);
  }

  private open(suggestion: Suggestion): Suggestion {
    if (suggestion.status !== 'open') throw conflict('suggestion_decided', `The suggestion was already ${suggestion.status}`, { status: suggestion.status, decision: suggestion.decision });
    return suggestion;
  }

  private mask(text: string): string {
    return this.deps.mask ? this.deps.mask(text) : text;
  }

  /**
   * The public documents nearest to `text`, one entry per document, with the text of its best passage. Public only:
   * an accepted suggestion is a curated answer or FAQ entry every customer gets, so an agents-only document must
   * neither be drafted from nor offered to the reviewer as the source to correct.
   */
  private async nearest(text: string, lang: Language): Promise<(SuggestionSource & { text: string })[]> {
    const { candidates } = await this.deps.retriever.retrieve(text, { lang, audiences: PUBLIC_ONLY });
    const seen = new Set<string>();
    const sources: (SuggestionSource & { text: string })[] = [];
    for (const candidate of candidates) {
      if (seen.has(candidate.docId)) continue;
      seen.add(candidate.docId);
      sources.push({ docId: candidate.docId, title: candidate.title, heading: candidate.headingPath, path: candidate.sourcePath, score: round(candidate.fusedScore), text: candidate.text });
      if (sources.length >= SOURCES) break;
    }
    return sources;
  }
}

/**
 * What an answer given to a key with `askedBy` may be shown to once accepted: everyone for a customer's question;
 * for an agent's, the key's audiences other than the public (an agent-assist key's `['agents', 'public']` gives
 * `['agents']`): the question or the answer may name internal things, and nobody checked that they do not.
 */
export function internalAudiences(askedBy: readonly string[] | undefined): string[] | undefined {
  if (isPublicOnly(askedBy)) return undefined;
  return keyAudiences(askedBy).filter((name) => name !== PUBLIC_AUDIENCE);
}

function paraphrasesOf(gap: Gap, question: string): string[] {
  return [...new Set([gap.example, ...gap.questions])].filter((text) => text !== question).slice(0, MAX_PARAPHRASES);
}

function impactOf(gap: Gap): Suggestion['impact'] {
  return { asked: gap.count, refused: gap.refused, thumbsDown: gap.thumbsDown, firstAsked: gap.firstSeen, lastAsked: gap.lastSeen };
}

const round = (value: number) => Math.round(value * 1000) / 1000;
