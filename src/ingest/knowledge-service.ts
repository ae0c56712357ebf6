import { rm } from 'node:fs/promises';
import { conflict, notFound } from '../errors.js';
import { audienceList, normalizeAudiences } from '../store/audiences.js';
import type { Calibration, KnowledgeStore, KnowledgeVersion } from '../store/knowledge-store.js';
import { CONTRADICTIONS_NOTE, type Contradiction } from './contradictions.js';
import type { DocumentFiles, UploadedFile } from './document-files.js';
import { approveHeld, discardHeld } from './held-versions.js';
import type { IngestJobRecord, IngestJobs, JobKind } from './jobs.js';
import { acquireIngestLock, LockHeldError, type LockOptions } from './lock.js';

/** A file in uploads/.incoming/ untouched this long is a leftover (an upload cut off by a crash), not one in progress. */
export const STALE_UPLOAD_MS = 10 * 60_000;

export interface KnowledgeServiceOptions {
  store: KnowledgeStore;
  jobs: Pick<IngestJobs, 'start' | 'get' | 'list' | 'decide'>;
  documents: DocumentFiles;
  /** The table's lock, for rollbacks (jobs take it themselves). */
  lock: Omit<LockOptions, 'purpose' | 'jobId'>;
  /** A job or a rollback could not start because another run holds the lock. */
  onConflict?: () => void;
}

export interface VersionList {
  /** The version served (the published one); a held version is newer and not served. */
  current: number;
  published: number | null;
  latest: number;
  /** Each version the regression gate checked carries its score. */
  versions: (KnowledgeVersion & { regression?: Record<string, unknown> })[];
}

/** An uploaded file with the documents the serving version holds from it (none: rolled back, or not ingested yet). */
export interface UploadListing extends UploadedFile {
  docIds: string[];
  served: boolean;
}

export interface Rollback {
  from: number;
  current: number;
  /** Files in the knowledge folder the restored version does not hold: the next ingestion brings them back. */
  comesBack: string[];
  note: string;
}

/**
 * The knowledge base's lifecycle, as the admin routes ask for it: ingestion jobs, document upload and delete, the
 * uploads folder, versions, held versions (approve, discard) and their contradictions, the calibration in force,
 * rollback. It owns the store, the documents folder and the table's lock, so the
 * HTTP layer never reaches them: every change is a job (or a rollback) that takes the lock, so none interleave.
 */
export class KnowledgeService {
  constructor(private readonly options: KnowledgeServiceOptions) {}

  /** Removes what a killed process left half-received (uploads cut off while running remove their own). */
  async sweepIncoming(): Promise<void> {
    await this.options.documents.sweepIncoming(STALE_UPLOAD_MS).catch(() => undefined);
  }

  /** Starts a job under the table's lock; `prepare` runs once it holds the lock. Throws LockHeldError (counted) if another run holds it. */
  async startJob(kind: JobKind, details: { reason: string; startedBy?: string; prepare?: () => Promise<void> }): Promise<IngestJobRecord> {
    return this.options.jobs.start(kind, details).catch((error) => this.conflict(error));
  }

  listJobs(limit: number): Promise<IngestJobRecord[]> {
    return this.options.jobs.list(limit);
  }

  async job(id: string): Promise<IngestJobRecord> {
    const job = await this.options.jobs.get(id);
    if (!job) throw notFound('job_not_found', 'No ingestion job with this id (job records are kept for INGEST_JOB_RETENTION_DAYS)');
    return job;
  }

  /** Where an upload is received before it is placed (a file of its own in uploads/.incoming/). */
  incomingFile(): Promise<string> {
    return this.options.documents.incomingFile();
  }

  /**
   * Places a received file as a document, with the audiences given (a list or a comma-separated string; undefined
   * leaves it to the folder's rules), in an upload job: the file goes into place only once the job holds the lock,
   * so a running ingestion never sees it half-way. The received file is removed whatever goes wrong.
   */
  async upload(incoming: string, upload: { fileName: string; audiences?: string; startedBy?: string }): Promise<{ job: IngestJobRecord; path: string; audiences?: string[] }> {
    let stored: string | undefined;
    try {
      const name = this.options.documents.safeName(upload.fileName);
      const audiences = upload.audiences === undefined ? undefined : normalizeAudiences(audienceList.parse(upload.audiences));
      const job = await this.startJob('upload', {
        reason: `upload ${name}${audiences ? ` for ${audiences.join(', ')}` : ''}`,
        startedBy: upload.startedBy,
        prepare: async () => {
          stored = await this.options.documents.place(incoming, name, audiences);
        },
      });
      return { job, path: stored!, ...(audiences ? { audiences } : {}) };
    } finally {
      if (!stored) await rm(incoming, { force: true });
    }
  }

  /** Deletes a document's file in a delete job; a document that is one row of a sheet must be removed from the sheet instead. */
  async deleteDocument(docId: string, startedBy?: string): Promise<{ job: IngestJobRecord; path: string }> {
    const documents = await this.options.store.documentHashes();
    const document = documents.get(docId);
    if (!document) throw notFound('document_not_found', `No document "${docId}" in the current knowledge version`);
    const siblings = [...documents.values()].filter((entry) => entry.sourcePath === document.sourcePath).length;
    if (siblings > 1) throw conflict('document_in_sheet', `"${docId}" is one of ${siblings} documents in ${document.sourcePath}: remove its row from that file, then re-ingest`);
    const job = await this.startJob('delete', { reason: `delete ${docId}`, startedBy, prepare: () => this.options.documents.remove(document.sourcePath) });
    return { job, path: document.sourcePath };
  }

  async versions(): Promise<VersionList> {
    const { store } = this.options;
    const [versions, regression] = await Promise.all([store.listVersions(), store.versionNotes<Record<string, unknown>>('regression')]);
    return {
      current: await store.servingVersion(),
      published: (await store.publishedVersion()) ?? null,
      latest: await store.latestVersion(),
      versions: versions.map((entry) => ({ ...entry, ...(regression[String(entry.version)] ? { regression: regression[String(entry.version)] } : {}) })),
    };
  }

  /** The serving version's calibration: the band in force and the knowledge base's trade-off curve. */
  async calibration(): Promise<{ version: number; calibration: Calibration | null }> {
    const version = await this.options.store.servingVersion();
    return { version, calibration: (await this.options.store.calibration(version)) ?? null };
  }

  /**
   * Makes an older version current again. It commits a version, so it takes the lock like an ingestion. `rolledBack`
   * runs under the lock once the table is restored (the audit trail). The table is restored, not the knowledge
   * folder: the result says which files the next ingestion brings back.
   */
  async rollback(version: number | string, options: { force: boolean; rolledBack?: (change: { from: number; current: number }) => Promise<void> }): Promise<Rollback> {
    const { store, documents } = this.options;
    // Not counted as an ingestion conflict, as before: the metric counts jobs.
    const lock = await acquireIngestLock({ ...this.options.lock, purpose: 'rollback' });
    try {
      const from = await store.version();
      const current = await store.rollback(version, { force: options.force });
      await options.rolledBack?.({ from, current });
      const kept = new Set([...(await store.documentHashes()).values()].map((document) => document.sourcePath));
      const comesBack = await documents.filesOutside(kept);
      const note = comesBack.length
        ? `Rolled back the table only: ${comesBack.length} file(s) in the knowledge folder are not in this version and will come back at the next ingestion unless you delete them: ${comesBack.slice(0, 20).join(', ')}${comesBack.length > 20 ? ', …' : ''}`
        : 'Rolled back the table only; every file in the knowledge folder is in this version.';
      return { from, current, comesBack, note };
    } finally {
      await lock.release();
    }
  }

  /** The uploads folder's files, each with the documents the serving version holds from it. */
  async uploads(): Promise<UploadListing[]> {
    const [files, documents] = await Promise.all([this.options.documents.uploads(), this.options.store.documentHashes()]);
    const docIds = new Map<string, string[]>();
    // Appended in place: a FAQ sheet is a document per row, and copying the list per row was quadratic in them.
    for (const [docId, document] of documents) {
      const ids = docIds.get(document.sourcePath);
      if (ids) ids.push(docId);
      else docIds.set(document.sourcePath, [docId]);
    }
    return files.map((file) => ({ ...file, docIds: docIds.get(file.path) ?? [], served: docIds.has(file.path) }));
  }

  /** Deletes an uploaded file in a delete job (the file goes under the job's lock, as an upload arrives), which removes its documents. */
  async deleteUpload(name: string, startedBy?: string): Promise<{ upload: UploadedFile; job: IngestJobRecord }> {
    const upload = (await this.options.documents.uploads()).find((file) => file.name === name);
    if (!upload) throw notFound('upload_not_found', `No upload "${name}" in the uploads folder`);
    const job = await this.startJob('delete', { reason: `delete upload ${name}`, startedBy, prepare: () => this.options.documents.remove(upload.path) });
    return { upload, job };
  }

  /** Every document of the serving version, by id (what a correction may name). */
  async documents(): Promise<{ docId: string; path: string }[]> {
    return [...(await this.options.store.documentHashes()).entries()].map(([docId, document]) => ({ docId, path: document.sourcePath })).sort((a, b) => a.docId.localeCompare(b.docId));
  }

  async hasDocument(docId: string): Promise<boolean> {
    return (await this.options.store.documentHashes()).has(docId);
  }

  /** Approves (publishes) or discards a job's held version, under the table's lock; the job record says what was decided. */
  decideHeld(jobId: string, action: 'approved' | 'discarded', by: string): Promise<IngestJobRecord> {
    const { store } = this.options;
    return this.options.jobs.decide(jobId, action, by, (record) => (action === 'approved' ? approveHeld(store, record.summary?.version) : discardHeld(store)));
  }

  /** The contradictions ingestion found in a version (default: the serving one), of one product line if given. */
  async contradictions(query: { version?: number; productLine?: string }): Promise<{ version: number; contradictions: Contradiction[] }> {
    const version = query.version ?? (await this.options.store.servingVersion());
    const all = (await this.options.store.versionNotes<Contradiction[]>(CONTRADICTIONS_NOTE))[String(version)] ?? [];
    return { version, contradictions: all.filter((entry) => !query.productLine || entry.productLine === query.productLine) };
  }

  /** Counts "another run holds the lock" (a LockHeldError, answered as a conflict that names the running job). */
  private conflict(error: unknown): never {
    if (error instanceof LockHeldError) this.options.onConflict?.();
    throw error;
  }
}
