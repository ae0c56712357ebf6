import type { KnowledgeStore } from '../store/knowledge-store.js';

/*
 * The regression gate as ingestion sees it: work run on each new table version after it is written and before it
 * is published (served). Ingestion knows nothing of retrieval or answering, so what asks the questions is handed
 * in by the composition root (src/regression/regression-gate.ts), like self-calibration.
 */

/** What an answer was, on one version: the document it came from, or a refusal. */
export interface GateAnswer {
  outcome: 'answered' | 'refused';
  /** The top source's document and title when answered. */
  docId?: string;
  title?: string;
  /** Whether one of the case's expected documents is among the answer's sources. */
  right: boolean;
}

/** A regression case whose answer changed between the published version and the new one. */
export interface ChangedAnswer {
  caseId: string;
  question: string;
  origin: string;
  pinned: boolean;
  /** Documents any one of which must be among the sources. */
  expected: string[];
  old: GateAnswer;
  new: GateAnswer;
  /** `broke`: right before, wrong now (what holds a version); `fixed`: the other way. */
  change: 'broke' | 'fixed';
}

export interface GateResult {
  /** The version checked and the published version it was compared with (none on a first ingestion). */
  version: number;
  baselineVersion?: number;
  /** Cases asked (those with an expected document); curated-only cases do not depend on the knowledge version. */
  cases: number;
  /** Cases answered from an expected document on the new version, and their share: the score kept with the version. */
  right: number;
  score: number;
  /** Right on the published version and not on the new one, pinned and not. */
  broken: { pinned: number; other: number };
  /** Unpinned cases right on the published version (what the tolerance share is of). */
  otherRightBefore: number;
  held: boolean;
  /** Why it was held, in words. */
  reason?: string;
  changed: ChangedAnswer[];
  seconds: number;
  /** Of which embedding the questions (once, in batches). */
  embedSeconds: number;
}

export interface RegressionGateHook {
  /** Asks the regression set of `version` (and of `baseline`, the published version, when there is one). */
  check(context: { store: KnowledgeStore; version: number; baseline?: { store: KnowledgeStore; version: number } }): Promise<GateResult>;
}

/** The note kind a version's gate result is kept under. */
export const REGRESSION_NOTE = 'regression';

/** What is kept with a version (GET /v1/admin/versions): the score, not the diff. */
export const regressionNote = (result: GateResult) => ({
  score: result.score,
  right: result.right,
  cases: result.cases,
  held: result.held,
  broken: result.broken,
  baselineVersion: result.baselineVersion ?? null,
  at: new Date().toISOString(),
});
