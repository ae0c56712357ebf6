import { formatChunkMetadata, parseChunkMetadata } from './chunk-media.js';
import type { ChunkRow, HitChunk, StoredChunk } from './knowledge-store.js';

/*
 * The one place where a chunk's fields meet the knowledge table's columns. The columns keep the snake_case names
 * every release has written (a table written before this mapping opens and answers as it is); everything outside
 * src/store/ reads and writes the camelCase record of knowledge-store.ts. Vector columns (`vector`,
 * `vector_<lang>`) and the audiences list are named alike on both sides. The `metadata` column holds JSON text;
 * the record holds it parsed (parsed here, once per row read, and nowhere else).
 */

/** Field of the record → column of the table. */
export const COLUMN_OF = {
  id: 'id',
  docId: 'doc_id',
  sourcePath: 'source_path',
  title: 'title',
  headingPath: 'heading_path',
  productLine: 'product_line',
  lang: 'lang',
  kind: 'kind',
  text: 'text',
  searchText: 'search_text',
  contentHash: 'content_hash',
  docHash: 'doc_hash',
  chunkIndex: 'chunk_index',
  metadata: 'metadata',
} as const satisfies Record<keyof Omit<StoredChunk, 'audiences'>, string>;

type Field = keyof typeof COLUMN_OF;

/** What a search hit reads (the index-only columns stay on disk: see HitChunk). */
export const HIT_FIELDS: readonly Field[] = ['id', 'docId', 'sourcePath', 'title', 'headingPath', 'productLine', 'lang', 'kind', 'text', 'chunkIndex', 'metadata'] satisfies (keyof HitChunk)[];
/** Every stored (non-vector) field. */
export const STORED_FIELDS: readonly Field[] = [...HIT_FIELDS, 'searchText', 'contentHash', 'docHash'];

/** The columns of some fields, in their order. */
export const columnsOf = (fields: readonly Field[]): string[] => fields.map((field) => COLUMN_OF[field]);

/** A record as the table's columns: known fields renamed, vector columns (and audiences) passed through. */
export function toColumns(row: ChunkRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key in COLUMN_OF ? COLUMN_OF[key as Field] : key] = key === 'metadata' ? formatChunkMetadata(value as ChunkRow['metadata']) : value;
  return out;
}

/**
 * A row read from the table as a record: the given fields from their columns, and any vector column present as
 * it is. Audiences are left to the caller, which knows whether the table version has them.
 */
export function fromColumns(row: Record<string, unknown>, fields: readonly Field[] = STORED_FIELDS): ChunkRow {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = field === 'metadata' ? parseChunkMetadata(row[COLUMN_OF.metadata] as string | undefined) : row[COLUMN_OF[field]];
  for (const [column, value] of Object.entries(row)) if (column === 'vector' || column.startsWith('vector_')) out[column] = value;
  return out as unknown as ChunkRow;
}
