import type { Language } from '../text/language.js';
import type { Section } from './chunker.js';

/** One unit of knowledge as a loader sees it: a file, a FAQ entry, or a line of a JSONL corpus. */
export interface SourceDocument {
  /** Stable id: the relative path for files, the entry's own id for FAQ entries and corpus lines. */
  docId: string;
  /** Path of the file it came from, relative to the source root. */
  sourcePath: string;
  title: string;
  kind: 'passage' | 'faq';
  /** Passages are chunked by section; a FAQ entry has exactly one section and becomes exactly one chunk. */
  sections: Section[];
  productLine?: string;
  lang?: Language;
  /** Kept with the chunk, never embedded or indexed. */
  metadata?: Record<string, unknown>;
  /** Who may see it, when the document itself says (front matter, a sheet's column); else the folder's or source's rules, else public. */
  audiences?: string[];
}

export interface LoadFailure {
  path: string;
  reason: string;
}

export interface LoadResult {
  documents: SourceDocument[];
  /** Problems that spoil part of a file (a malformed CSV row) while the rest still loads. */
  failures: LoadFailure[];
}

/** Thrown by a loader when the whole file is unusable; the message is the reason shown in the summary. */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError';
}
