import { createHash } from 'node:crypto';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import type { ChunkRow, KnowledgeStore } from '../store/knowledge-store.js';
import { type Disagreement, differentProducts, disagreements } from '../text/facts.js';

/** One side of a contradiction: the chunk and the clause in it. */
export interface ContradictionSide {
  chunkId: string;
  docId: string;
  title: string;
  sourcePath: string;
  clause: string;
}

/** Two near-duplicate chunks that disagree on a number, a duration, a price or a yes/no. */
export interface Contradiction {
  id: string;
  kind: Disagreement['kind'];
  productLine: string;
  lang: string;
  /** Cosine similarity of the two chunks. */
  similarity: number;
  /** The content terms both clauses share: what they disagree about. */
  about: string[];
  a: ContradictionSide;
  b: ContradictionSide;
  /** The version it was first found in. */
  foundIn: number;
}

export interface ContradictionReport {
  /** Pairs of near-duplicate chunks among those this run wrote and the rest of their product line. */
  nearDuplicates: number;
  /** Every contradiction in the version: those found now and those still standing from the version before. */
  contradictions: Contradiction[];
  /** How many of them this run found. */
  found: number;
}

export interface ContradictionOptions {
  /** Cosine similarity from which two chunks are near-duplicates. */
  similarity: number;
  /** Nearest neighbours looked at per written chunk. */
  neighbours?: number;
}

/** The note kind the contradictions of a version are kept under (KnowledgeStore.saveVersionNote). */
export const CONTRADICTIONS_NOTE = 'contradictions';

/**
 * Near-duplicates and contradictions at ingest. Each chunk this run wrote is searched, with the vector it was
 * just given, against its own product line and language (approximate once the table has a vector index): only
 * what changed is compared, so an incremental run costs a search per changed chunk. Near-duplicates from other
 * documents are compared clause by clause (src/text/facts.ts). Contradictions of documents this run did not
 * touch carry over from the previous version; those of replaced or removed documents go with them.
 */
export async function findContradictions(
  store: KnowledgeStore,
  embedders: EmbeddingSpaces,
  written: ChunkRow[],
  context: { version: number; replacedDocIds: string[]; previous: Contradiction[] },
  options: ContradictionOptions,
): Promise<ContradictionReport> {
  const replaced = new Set(context.replacedDocIds);
  const standing = context.previous.filter((entry) => !replaced.has(entry.a.docId) && !replaced.has(entry.b.docId));
  const pairs = new Map<
    string,
    {
      row: Pick<ChunkRow, 'id' | 'docId' | 'title' | 'sourcePath' | 'text' | 'productLine' | 'lang' | 'kind'>;
      other: (typeof written)[number] | Awaited<ReturnType<KnowledgeStore['vectorSearch']>>[number];
      similarity: number;
    }
  >();
  const neighbours = options.neighbours ?? 4;
  let next = 0;
  const worker = async () => {
    while (next < written.length) {
      const row = written[next++];
      // The row's own language model where there is one (the better space for it), else the primary.
      const space = embedders.all.find((entry) => entry.languages?.includes(row.lang)) ?? embedders.all[0];
      const vector = (row as unknown as Record<string, Float32Array>)[space.column];
      if (!vector?.length) continue;
      const hits = await store.vectorSearch(vector, neighbours + 1, { productLines: [row.productLine], languages: [row.lang] }, space.column);
      for (const hit of hits) {
        if (hit.docId === row.docId || hit.score < options.similarity) continue;
        const key = [row.id, hit.id].sort().join('\u0000');
        if (!pairs.has(key)) pairs.set(key, { row, other: hit, similarity: hit.score });
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const found: Contradiction[] = [];
  for (const { row, other, similarity } of pairs.values()) {
    // Manuals of two products say the same sentence with their own numbers ("Battery life is up to 14 days").
    if (row.kind === 'passage' && other.kind === 'passage' && differentProducts(row.title, other.title)) continue;
    for (const disagreement of disagreements(row.text, other.text)) {
      const side = (chunk: typeof row | typeof other, clause: string): ContradictionSide => ({ chunkId: chunk.id, docId: chunk.docId, title: chunk.title, sourcePath: chunk.sourcePath, clause });
      const [a, b] = [side(row, disagreement.a), side(other, disagreement.b)].sort((x, y) => x.chunkId.localeCompare(y.chunkId));
      const id = createHash('sha256')
        .update(JSON.stringify([disagreement.kind, a.chunkId, a.clause, b.chunkId, b.clause]))
        .digest('hex')
        .slice(0, 16);
      found.push({
        id,
        kind: disagreement.kind,
        productLine: row.productLine,
        lang: row.lang,
        similarity: Math.round(similarity * 1000) / 1000,
        about: disagreement.about,
        a,
        b,
        foundIn: context.version,
      });
    }
  }
  const byId = new Map(standing.map((entry) => [entry.id, entry]));
  for (const entry of found) if (!byId.has(entry.id)) byId.set(entry.id, entry);
  return { nearDuplicates: pairs.size, contradictions: [...byId.values()], found: found.length };
}
