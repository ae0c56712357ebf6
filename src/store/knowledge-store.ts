import { mkdir } from 'node:fs/promises';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';

/** One row of the knowledge table. */
export interface ChunkRow {
  id: string;
  doc_id: string;
  source_path: string;
  title: string;
  /** Headings above the chunk, joined with " > ". */
  heading_path: string;
  product_line: string;
  lang: string;
  kind: 'passage' | 'faq';
  text: string;
  /** What the full-text index sees: title, headings and text, so a heading word finds its section. */
  search_text: string;
  /** Hash of the chunk text. */
  content_hash: string;
  /** Hash of the whole document plus chunking and model settings: unchanged means nothing to re-embed. */
  doc_hash: string;
  chunk_index: number;
  /** JSON of extra fields (FAQ question/answer, corpus metadata); never embedded or indexed. */
  metadata: string;
  vector: Float32Array | number[];
}

export type StoredChunk = Omit<ChunkRow, 'vector'>;
export interface ScoredChunk extends StoredChunk {
  score: number;
}

export interface KnowledgeVersion {
  version: number;
  timestamp: Date;
  tag?: string;
}

const COLUMNS = ['id', 'doc_id', 'source_path', 'title', 'heading_path', 'product_line', 'lang', 'kind', 'text', 'search_text', 'content_hash', 'doc_hash', 'chunk_index', 'metadata'];

export function chunkSchema(dimension: number): Schema {
  const text = (name: string) => new Field(name, new Utf8(), false);
  return new Schema([
    ...['id', 'doc_id', 'source_path', 'title', 'heading_path', 'product_line', 'lang', 'kind', 'text', 'search_text', 'content_hash', 'doc_hash'].map(text),
    new Field('chunk_index', new Int32(), false),
    new Field('metadata', new Utf8(), false),
    new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
  ]);
}

/** SQL string literal for LanceDB filters. */
export const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

export class TableMissingError extends Error {
  override name = 'TableMissingError';
}

/**
 * The knowledge table in LanceDB. Writers commit a whole ingestion run as one new table version;
 * readers open it with a read-consistency interval so they move to new versions on their own.
 */
export class KnowledgeStore {
  private constructor(
    readonly table: lancedb.Table,
    readonly dimension: number,
  ) {}

  static async open(dbDir: string, tableName: string, options: { readConsistencySeconds?: number } = {}): Promise<KnowledgeStore> {
    const connection = await lancedb.connect(dbDir, { readConsistencyInterval: options.readConsistencySeconds });
    const names = await connection.tableNames();
    if (!names.includes(tableName)) {
      throw new TableMissingError(`Knowledge table "${tableName}" does not exist in ${dbDir}. Run "npm run ingest" first.`);
    }
    const table = await connection.openTable(tableName);
    return new KnowledgeStore(table, await vectorDimension(table));
  }

  /** Opens the table, creating it empty with the given dimension if it does not exist yet. */
  static async openOrCreate(dbDir: string, tableName: string, dimension: number): Promise<KnowledgeStore> {
    await mkdir(dbDir, { recursive: true });
    const connection = await lancedb.connect(dbDir);
    const names = await connection.tableNames();
    const table = names.includes(tableName) ? await connection.openTable(tableName) : await connection.createEmptyTable(tableName, chunkSchema(dimension));
    const store = new KnowledgeStore(table, await vectorDimension(table));
    if (store.dimension !== dimension) {
      throw new Error(`Table "${tableName}" holds ${store.dimension}-dimensional vectors but the embedding model gives ${dimension}. Ingest into a new table (--table) or database (--db).`);
    }
    return store;
  }

  async version(): Promise<number> {
    return this.table.version();
  }

  async countRows(): Promise<number> {
    return this.table.countRows();
  }

  /** doc_id → doc_hash of every document in the table: what incremental ingestion compares against. */
  async documentHashes(): Promise<Map<string, { docHash: string; sourcePath: string }>> {
    const rows = await this.table.query().select(['doc_id', 'doc_hash', 'source_path']).toArray();
    const hashes = new Map<string, { docHash: string; sourcePath: string }>();
    for (const row of rows) hashes.set(row.doc_id, { docHash: row.doc_hash, sourcePath: row.source_path });
    return hashes;
  }

  /**
   * Replaces every chunk of `replacedDocIds` with `rows` in one commit: inserts new chunk ids, updates
   * changed ones and deletes chunks of those documents that the new rows no longer contain. A reader
   * sees the table before or after, never in between.
   */
  async commit(rows: ChunkRow[], replacedDocIds: string[]): Promise<void> {
    if (rows.length === 0 && replacedDocIds.length === 0) return;
    const scope = `doc_id IN (${replacedDocIds.map(sqlString).join(', ')})`;
    if (rows.length === 0) {
      await this.table.delete(scope);
      return;
    }
    const data = rows.map((row) => ({ ...row, vector: Array.from(row.vector) }));
    let builder = this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll();
    if (replacedDocIds.length) builder = builder.whenNotMatchedBySourceDelete({ where: scope });
    await builder.execute(lancedb.makeArrowTable(data, { schema: chunkSchema(this.dimension) }));
  }

  /** (Re)builds the full-text index. ICU word breaking segments Chinese without a dictionary download. */
  async buildFullTextIndex(): Promise<void> {
    await this.table.createIndex('search_text', {
      // 'icu' is supported by the native library of 0.31 (Chinese full-text tests prove it) but missing from its typings.
      config: lancedb.Index.fts({ baseTokenizer: 'icu' as 'simple', lowercase: true, stem: false, removeStopWords: false, asciiFolding: true, withPosition: false }),
      replace: true,
    });
  }

  async hasFullTextIndex(): Promise<boolean> {
    const indices = await this.table.listIndices();
    return indices.some((index) => index.columns.includes('search_text'));
  }

  async vectorSearch(vector: Float32Array, limit: number, filter?: string): Promise<ScoredChunk[]> {
    let query = this.table.vectorSearch(Array.from(vector)).distanceType('cosine').select([...COLUMNS, '_distance']).limit(limit);
    if (filter) query = query.where(filter);
    const rows = await query.toArray();
    // Cosine distance → similarity in [-1, 1]; comparable across questions, unlike fused ranks.
    return rows.map((row) => ({ ...pick(row), score: 1 - row._distance }));
  }

  async fullTextSearch(text: string, limit: number, filter?: string): Promise<ScoredChunk[]> {
    if (!text.trim()) return [];
    let query = this.table.query().fullTextSearch(text, { columns: ['search_text'] }).select([...COLUMNS, '_score']).limit(limit);
    if (filter) query = query.where(filter);
    const rows = await query.toArray();
    return rows.map((row) => ({ ...pick(row), score: row._score }));
  }

  async listVersions(): Promise<KnowledgeVersion[]> {
    const [versions, tags] = await Promise.all([this.table.listVersions(), (await this.table.tags()).list()]);
    const tagByVersion = new Map<number, string>();
    for (const [name, tag] of Object.entries(tags)) tagByVersion.set(tag.version, name);
    return versions.map((entry) => ({ version: entry.version, timestamp: entry.timestamp, tag: tagByVersion.get(entry.version) }));
  }

  async tagVersion(tag: string, version: number): Promise<void> {
    await (await this.table.tags()).create(tag, version);
  }

  /** Makes an old version current again by committing a new version with its contents. */
  async rollback(version: number | string): Promise<number> {
    await this.table.checkout(version);
    await this.table.restore();
    await this.table.checkoutLatest();
    return this.table.version();
  }

  async checkoutLatest(): Promise<void> {
    await this.table.checkoutLatest();
  }

  close(): void {
    this.table.close();
  }
}

async function vectorDimension(table: lancedb.Table): Promise<number> {
  const schema = await table.schema();
  const field = schema.fields.find((candidate) => candidate.name === 'vector');
  const type = field?.type as FixedSizeList | undefined;
  if (!type?.listSize) throw new Error(`Table ${table.name} has no fixed-size "vector" column`);
  return type.listSize;
}

function pick(row: Record<string, unknown>): StoredChunk {
  const out: Record<string, unknown> = {};
  for (const column of COLUMNS) out[column] = row[column];
  return out as unknown as StoredChunk;
}
