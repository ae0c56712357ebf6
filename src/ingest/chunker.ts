import type { ImageRef } from '../store/chunk-media.js';
import { joinSentences, splitClauses, splitSentences } from '../text/sentences.js';

/** A table as rows of cell text under one header row (empty when the table names no columns). */
export interface TableBlock {
  header: string[];
  rows: string[][];
  caption?: string;
}

/** A titled part of a document; `headingPath` is the chain of headings above it. */
export interface Section {
  headingPath: string[];
  text: string;
  /** The id of the heading the section sits under (its own or a slug of it): citations link to `url#anchor`. */
  anchor?: string;
  /** The section is one table: `text` is `tableText(table)`, and chunks hold whole rows (see chunkTable). */
  table?: TableBlock;
  /** Images of the section, `at` being the offset in `text` where each stood (its chunk is the one holding that point). */
  images?: (ImageRef & { at: number })[];
}

export interface ChunkOptions {
  maxTokens: number;
  overlapTokens: number;
  /** Counts tokens the way the embedding model will; chunk sizes are in these units. */
  countTokens: (text: string) => number;
}

export interface Chunk {
  headingPath: string[];
  text: string;
  tokens: number;
  anchor?: string;
  images?: ImageRef[];
}

/**
 * A table row as text that stands alone: each cell after its column header ("Model: Guard Cam S1 | Warranty:
 * 2 years"), so the full-text index, the embedding and a quoted row all see which column a value is in, and a
 * chunk of any part of the table carries the header. Empty cells are left out.
 */
export function rowText(header: readonly string[], row: readonly string[]): string {
  return row
    .map((cell, index) => (cell ? (header[index] ? `${header[index]}: ${cell}` : cell) : ''))
    .filter(Boolean)
    .join(' | ');
}

/** Rows are paragraphs: a blank line is a sentence boundary, so an extractive answer quotes one row, not the table. */
const ROW_SEPARATOR = '\n\n';

/** The whole table as text (what a section's `text` holds, and what its hash and classification see). */
export function tableText(table: TableBlock): string {
  return [table.caption, ...table.rows.map((row) => rowText(table.header, row))].filter(Boolean).join(ROW_SEPARATOR);
}

/**
 * Packs each section's sentences into chunks of at most `maxTokens`, repeating the last sentences of a
 * chunk (up to `overlapTokens`) at the start of the next. Chunks never cross a section boundary, so every
 * chunk has exactly one heading path.
 */
export function chunkSections(sections: Section[], options: ChunkOptions): Chunk[] {
  const chunks: Chunk[] = [];
  for (const section of sections) {
    if (section.table) {
      chunks.push(...chunkTable(section, section.table, options));
      continue;
    }
    const first = chunks.length;
    const ends: number[] = [];
    const units = toUnits(section.text, options);
    let current: Unit[] = [];
    let currentTokens = 0;
    const flush = () => {
      if (current.length === 0) return;
      const text = joinSentences(current.map((unit) => unit.text));
      chunks.push({ headingPath: section.headingPath, text, tokens: currentTokens, ...(section.anchor ? { anchor: section.anchor } : {}) });
      ends.push(current[current.length - 1]?.end ?? 0);
      // Carry the tail of this chunk into the next one, sentence by sentence.
      const carried: typeof current = [];
      let carriedTokens = 0;
      for (let index = current.length - 1; index > 0; index--) {
        const unit = current[index];
        if (carriedTokens + unit.tokens > options.overlapTokens) break;
        carried.unshift(unit);
        carriedTokens += unit.tokens;
      }
      current = carried;
      currentTokens = carriedTokens;
    };
    let addedSinceFlush = false;
    for (const unit of units) {
      if (currentTokens + unit.tokens > options.maxTokens && addedSinceFlush) {
        flush();
        addedSinceFlush = false;
      }
      current.push(unit);
      currentTokens += unit.tokens;
      addedSinceFlush = true;
    }
    if (addedSinceFlush) flush();
    attachImages(section, chunks.slice(first), ends);
  }
  return chunks;
}

/**
 * A table as one chunk per row (a row longer than `maxTokens` is cut like an over-long sentence), without overlap.
 * Every row carries its column headers (rowText), and the caption, when there is one, opens every chunk, so any
 * part of a table says which table and which columns it is. One row a chunk rather than rows packed to the size
 * limit: on the table-question set (eval/table-set.jsonl) packing two or three rows a chunk ranked the answering
 * row first for 24 % of questions, one row a chunk for 32 % (hit@5 48 → 84 %), as the other rows' products and
 * numbers no longer dilute the match; a question comparing rows gets them as separate sources.
 */
function chunkTable(section: Section, table: TableBlock, options: ChunkOptions): Chunk[] {
  const chunks: Chunk[] = [];
  const anchor = section.anchor ? { anchor: section.anchor } : {};
  const leadTokens = table.caption ? options.countTokens(table.caption) : 0;
  for (const row of table.rows) {
    const text = rowText(table.header, row);
    if (!text) continue;
    const rowTokens = options.countTokens(text);
    if (rowTokens + leadTokens > options.maxTokens) {
      for (const piece of hardSplit(text, options)) chunks.push({ headingPath: section.headingPath, text: piece.text, tokens: piece.tokens, ...anchor });
      continue;
    }
    chunks.push({ headingPath: section.headingPath, text: [table.caption, text].filter(Boolean).join(ROW_SEPARATOR), tokens: leadTokens + rowTokens, ...anchor });
  }
  const images = (section.images ?? []).map(({ at: _at, ...image }) => image);
  if (images.length && chunks[0]) chunks[0].images = images;
  return chunks;
}

/** Each image goes with the chunk that holds the text just before it (the first chunk when it opens the section). */
function attachImages(section: Section, chunks: Chunk[], ends: number[]): void {
  // The first chunk ending at or after an image is the first whose running maximum end is: a binary search over
  // the running maxima, not a scan per image (a hostile page has as many images as it likes).
  const reach: number[] = [];
  for (const end of ends) reach.push(Math.max(end, reach[reach.length - 1] ?? end));
  for (const { at, ...image } of section.images ?? []) {
    let low = 0;
    let high = reach.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((reach[middle] ?? 0) >= at) high = middle;
      else low = middle + 1;
    }
    const chunk = chunks[low < reach.length ? low : chunks.length - 1];
    if (chunk) (chunk.images ??= []).push(image);
  }
}

/** Sentences, with over-long ones broken into clauses and, failing that, into fixed-size pieces. */
function toUnits(text: string, options: ChunkOptions): Unit[] {
  const units: Unit[] = [];
  // Where each sentence ends in the section's text, to place images (sentences are trimmed slices, in order).
  let cursor = 0;
  for (const sentence of splitSentences(text)) {
    const found = text.indexOf(sentence, cursor);
    const end = found < 0 ? cursor : found + sentence.length;
    cursor = end;
    const tokens = options.countTokens(sentence);
    if (tokens <= options.maxTokens) {
      units.push({ text: sentence, tokens, end });
      continue;
    }
    for (const clause of splitClauses(sentence)) {
      const clauseTokens = options.countTokens(clause);
      if (clauseTokens <= options.maxTokens) units.push({ text: clause, tokens: clauseTokens, end });
      else units.push(...hardSplit(clause, options).map((piece) => ({ ...piece, end })));
    }
  }
  return units;
}

interface Unit {
  text: string;
  tokens: number;
  /** Offset in the section's text where the sentence it came from ends. */
  end: number;
}

function hardSplit(text: string, options: ChunkOptions): { text: string; tokens: number }[] {
  const pieces: { text: string; tokens: number }[] = [];
  const characters = Array.from(text);
  // Tokens per character varies (CJK ≈ 1, Latin ≈ 0.25); estimate from the text itself.
  const ratio = Math.max(options.countTokens(text) / characters.length, 0.01);
  const size = Math.max(1, Math.floor(options.maxTokens / ratio));
  for (let start = 0; start < characters.length; start += size) {
    const piece = characters.slice(start, start + size).join('');
    pieces.push({ text: piece, tokens: options.countTokens(piece) });
  }
  return pieces;
}
