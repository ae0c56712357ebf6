import type { Language } from '../text/language.js';
import type { Section } from './chunker.js';

/**
 * A PDF page's section is headed by its page ("p. 3", pdf.ts), so a citation can point at the page. It locates the
 * text; it does not say what the text is about, so nothing may show it as a title (a "did you mean" suggestion).
 */
export const pageHeading = (page: number) => `p. ${page}`;
export const isPageHeading = (heading: string) => /^p\. \d+$/.test(heading.trim());

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
