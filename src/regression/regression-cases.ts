import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { invalid, notFound } from '../errors.js';
import type { SharedState } from '../state/shared-state.js';

/**
 * A knowledge base's regression set: questions with the document (or curated answer) that must answer them.
 * Pinned cases were set by a person (the regression file, the admin API, a reviewer's correction, an accepted
 * suggestion) and hold a version when one breaks (tolerance REGRESSION_TOLERANCE_PINNED, default none);
 * thumbs-up answers are observed, not pinned, and hold a version only past a share (REGRESSION_TOLERANCE).
 */
export interface RegressionCase {
  id: string;
  question: string;
  lang?: 'zh' | 'en';
  productLine?: string;
  /** Documents any one of which must be among the answer's sources. */
  docIds: string[];
  /** A curated answer that must answer it: curated answers are matched before retrieval, so no knowledge version changes them. */
  curatedId?: string;
  origin: 'file' | 'api' | 'correction' | 'suggestion' | 'feedback';
  pinned: boolean;
  addedAt?: string;
  addedBy?: string;
}

/** The logs the set is built from (their writers are the review, suggestion and feedback features). */
export const REGRESSION_CASES_LOG = 'regression-cases';
export const CORRECTIONS_LOG = 'corrections';
export const SUGGESTIONS_ACCEPTED_LOG = 'suggestions-accepted';
export const FEEDBACK_LOG = 'feedback';
export const INTERACTIONS_LOG = 'interactions';
/** How many entries of each log are read: the newest ones. */
const LOG_READ = 10_000;
const CASES_LOG_MAX = 100_000;
/** Cases live until deleted: the API's log is never trimmed by age. */
export const REGRESSION_CASES_LOG_RETENTION_SECONDS = 100 * 365 * 86_400;

export const regressionCaseSpec = z
  .object({
    question: z.string().trim().min(1).max(500),
    lang: z.enum(['zh', 'en']).optional(),
    productLine: z.string().trim().min(1).max(100).optional(),
    docIds: z.array(z.string().min(1).max(1000)).max(20).default([]),
    curatedId: z.string().min(1).max(100).optional(),
  })
  .strict()
  .refine((spec) => spec.docIds.length > 0 || spec.curatedId, { message: 'a case needs docIds or curatedId: what must answer it' });
export type RegressionCaseSpec = z.infer<typeof regressionCaseSpec>;

/** One line of the regression file (JSON Lines): the dev set's shape, `relevant` or `docIds`. */
const fileLine = z.object({
  id: z.string().min(1).max(100).optional(),
  question: z.string().min(1).max(500).optional(),
  text: z.string().min(1).max(500).optional(),
  lang: z.enum(['zh', 'en']).optional(),
  productLine: z.string().optional(),
  docIds: z.array(z.string()).optional(),
  relevant: z.array(z.string()).optional(),
  curatedId: z.string().optional(),
});

const stableId = (prefix: string, ...parts: unknown[]) => `${prefix}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12)}`;

/** Reads the regression file; a missing file is an empty set, a bad line is named. */
export async function loadRegressionFile(file: string | undefined): Promise<RegressionCase[]> {
  if (!file) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const cases: RegressionCase[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let parsed: z.infer<typeof fileLine>;
    try {
      parsed = fileLine.parse(JSON.parse(line));
    } catch (error) {
      throw invalid('regression_file_invalid', `${file}, line ${index + 1}: ${(error as Error).message.split('\n')[0]}`);
    }
    const question = parsed.question ?? parsed.text;
    const docIds = parsed.docIds ?? parsed.relevant ?? [];
    if (!question || (!docIds.length && !parsed.curatedId)) throw invalid('regression_file_invalid', `${file}, line ${index + 1}: a case needs a question and docIds (or relevant, or curatedId)`);
    cases.push({
      id: parsed.id ? `file-${parsed.id}` : stableId('file', question),
      question,
      lang: parsed.lang,
      productLine: parsed.productLine,
      docIds,
      curatedId: parsed.curatedId,
      origin: 'file',
      pinned: true,
    });
  }
  return cases;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
const lang = (value: unknown) => (value === 'zh' || value === 'en' ? value : undefined);

/**
 * The regression set from the file and the shared state: cases added through the API (an append-only log, so
 * the ingestion child reads what the service wrote), reviewers' corrections, accepted suggestions and thumbs-up
 * answers (their sources from the interactions log). Any of those logs may be empty or absent.
 */
export class RegressionCases {
  constructor(
    private readonly state: SharedState,
    private readonly file?: string,
  ) {}

  /** Cases added through the API and not deleted, oldest first. */
  async added(): Promise<RegressionCase[]> {
    const cases = new Map<string, RegressionCase>();
    for (const { entry } of await this.state.readLog(REGRESSION_CASES_LOG, CASES_LOG_MAX)) {
      if (entry.action === 'put' && entry.case) cases.set((entry.case as RegressionCase).id, entry.case as RegressionCase);
      else if (entry.action === 'delete') cases.delete(String(entry.id));
    }
    return [...cases.values()];
  }

  async add(spec: RegressionCaseSpec, by: string): Promise<RegressionCase> {
    const entry: RegressionCase = { id: `case-${randomUUID()}`, ...spec, origin: 'api', pinned: true, addedAt: new Date().toISOString(), addedBy: by };
    await this.state.appendLog(REGRESSION_CASES_LOG, { action: 'put', case: entry, at: entry.addedAt }, CASES_LOG_MAX);
    return entry;
  }

  /** Only API cases can be deleted here: the others live in their file or log. */
  async remove(id: string, by: string): Promise<void> {
    if (!(await this.added()).some((entry) => entry.id === id)) {
      throw notFound('regression_case_not_found', `No regression case "${id}" added through the API (file cases are edited in the regression file; logged ones go with their log)`);
    }
    await this.state.appendLog(REGRESSION_CASES_LOG, { action: 'delete', id, by, at: new Date().toISOString() }, CASES_LOG_MAX);
  }

  /** The whole set, each question once (the first origin in this order wins: file, API, corrections, suggestions, feedback). */
  async all(): Promise<RegressionCase[]> {
    const [file, added, fromLogs] = await Promise.all([loadRegressionFile(this.file), this.added(), this.fromLogs()]);
    const seen = new Set<string>();
    return [...file, ...added, ...fromLogs].filter((entry) => {
      const key = `${entry.question.trim().toLowerCase()}\u0000${entry.productLine ?? ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  private async fromLogs(): Promise<RegressionCase[]> {
    const read = (name: string) => this.state.readLog(name, LOG_READ).catch(() => [] as { id: string; entry: Record<string, unknown> }[]);
    const [corrections, accepted, feedback, interactions] = await Promise.all([read(CORRECTIONS_LOG), read(SUGGESTIONS_ACCEPTED_LOG), read(FEEDBACK_LOG), read(INTERACTIONS_LOG)]);
    const cases: RegressionCase[] = [];
    for (const { id, entry } of corrections) {
      const expected = (entry.expected ?? {}) as { docId?: unknown; curatedId?: unknown };
      const question = text(entry.question);
      const docId = text(expected.docId);
      const curatedId = text(expected.curatedId);
      if (question && (docId || curatedId))
        cases.push({
          id: `correction-${id}`,
          question,
          lang: lang(entry.lang),
          productLine: text(entry.productLine),
          docIds: docId ? [docId] : [],
          curatedId,
          origin: 'correction',
          pinned: true,
          addedAt: text(entry.at),
          addedBy: text(entry.by),
        });
    }
    for (const { id, entry } of accepted) {
      const target = (entry.accepted ?? {}) as { docId?: unknown; curatedId?: unknown };
      const docId = text(target.docId);
      const curatedId = text(target.curatedId);
      if (!docId && !curatedId) continue;
      const questions = [entry.question, ...(Array.isArray(entry.paraphrases) ? entry.paraphrases : [])].map(text).filter((value): value is string => Boolean(value));
      for (const [index, question] of questions.entries()) {
        cases.push({
          id: `suggestion-${id}-${index}`,
          question,
          lang: lang(entry.lang),
          docIds: docId ? [docId] : [],
          curatedId,
          origin: 'suggestion',
          pinned: true,
          addedAt: text(entry.at),
          addedBy: text(entry.by),
        });
      }
    }
    // A thumbs-up says the answer was right: its top source is what answered it (from the feedback entry, or the turn's interaction).
    const sourcesByAnswer = new Map<string, string[]>();
    for (const { entry } of interactions) {
      const sources = Array.isArray(entry.sources) ? (entry.sources as { docId?: unknown }[]).map((source) => text(source?.docId)).filter((value): value is string => Boolean(value)) : [];
      if (text(entry.answerId) && sources.length) sourcesByAnswer.set(String(entry.answerId), sources);
    }
    for (const { id, entry } of feedback) {
      if (entry.rating !== 'up') continue;
      const question = text(entry.question);
      const own = Array.isArray(entry.sources) ? (entry.sources as { docId?: unknown }[]).map((source) => text(source?.docId)).filter((value): value is string => Boolean(value)) : [];
      const sources = own.length ? own : (sourcesByAnswer.get(String(entry.answerId)) ?? []);
      if (!question || !sources.length) continue;
      cases.push({
        id: `feedback-${id}`,
        question,
        lang: lang(entry.lang),
        productLine: text(entry.productLine),
        docIds: sources.slice(0, 1),
        origin: 'feedback',
        pinned: false,
        addedAt: text(entry.at),
      });
    }
    return cases;
  }
}
