import { joinSentences, splitClauses, splitSentences } from '../text/sentences.js';

/** A titled part of a document; `headingPath` is the chain of headings above it. */
export interface Section {
  headingPath: string[];
  text: string;
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
}

/**
 * Packs each section's sentences into chunks of at most `maxTokens`, repeating the last sentences of a
 * chunk (up to `overlapTokens`) at the start of the next. Chunks never cross a section boundary, so every
 * chunk has exactly one heading path.
 */
export function chunkSections(sections: Section[], options: ChunkOptions): Chunk[] {
  const chunks: Chunk[] = [];
  for (const section of sections) {
    const units = toUnits(section.text, options);
    let current: { text: string; tokens: number }[] = [];
    let currentTokens = 0;
    const flush = () => {
      if (current.length === 0) return;
      const text = joinSentences(current.map((unit) => unit.text));
      chunks.push({ headingPath: section.headingPath, text, tokens: currentTokens });
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
  }
  return chunks;
}

/** Sentences, with over-long ones broken into clauses and, failing that, into fixed-size pieces. */
function toUnits(text: string, options: ChunkOptions): { text: string; tokens: number }[] {
  const units: { text: string; tokens: number }[] = [];
  for (const sentence of splitSentences(text)) {
    const tokens = options.countTokens(sentence);
    if (tokens <= options.maxTokens) {
      units.push({ text: sentence, tokens });
      continue;
    }
    for (const clause of splitClauses(sentence)) {
      const clauseTokens = options.countTokens(clause);
      if (clauseTokens <= options.maxTokens) units.push({ text: clause, tokens: clauseTokens });
      else units.push(...hardSplit(clause, options));
    }
  }
  return units;
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
