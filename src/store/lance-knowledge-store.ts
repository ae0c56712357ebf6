import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import './lance-runtime.js';
import {
  type Calibration,
  type ChunkFilter,
  type ChunkRow,
  EmptyVersionError,
  type KnowledgeStore,
  type KnowledgeVersion,
  type ScoredChunk,
  type StoredChunk,
  TableMissingError,
  VersionNotFoundError,
} from './knowledge-store.js';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Int32, List, Schema, type Table as ArrowTable, Utf8 } from 'apache-arrow';
import { normalizeAudiences, PUBLIC_AUDIENCE, PUBLIC_ONLY } from './audiences.js';
import { COLUMN_OF, columnsOf, fromColumns, HIT_FIELDS, STORED_FIELDS, toColumns } from './chunk-columns.js';
import { parseChunkMetadata } from './chunk-media.js';

const HIT_COLUMNS = columnsOf(HIT_FIELDS);
const COLUMNS = columnsOf(STORED_FIELDS);
/**
 * Who may see a chunk (audiences.ts). Read only from tables that have it: a table written before audiences
 * existed is served as it is, every row public, and gets the column (all public) from its next ingestion.
 */
const AUDIENCES = 'audiences';
/** Columns searches filter by: few distinct values each, what a bitmap index is for. */
const FILTER_COLUMNS = ['lang', 'product_line'];

/** `dimensions` maps each vector column to its dimension: `{ vector: 512, vector_en: 384 }`. */
export function chunkSchema(dimensions: Record<string, number>): Schema {
  const text = (name: string) => new Field(name, new Utf8(), false);
  return new Schema([
    ...['id', 'doc_id', 'source_path', 'title', 'heading_path', 'product_line', 'lang', 'kind', 'text', 'search_text', 'content_hash', 'doc_hash'].map(text),
    new Field('chunk_index', new Int32(), false),
    new Field('metadata', new Utf8(), false),
    new Field(AUDIENCES, new List(new Field('item', new Utf8(), true)), false),
    ...Object.entries(dimensions).map(([column, dimension]) => new Field(column, new FixedSizeList(dimension, new Field('item', new Float32(), true)), false)),
  ]);
}

/**
 * A language space holds vectors only for chunks in its languages; the other rows get a zero vector,
 * which every search of that column excludes with a language filter.
 */
export const emptyVector = (dimension: number) => new Float32Array(dimension);

/** SQL string literal for LanceDB filters. */
export const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * The LanceDB `where` clause of a filter, or undefined when it restricts nothing. `hasAudiences`: whether the
 * table version has the audiences column; without it every row is public, so a filter that allows the public
 * restricts nothing, and one that does not (a key for agents alone) matches no row.
 */
export function whereClause(filter: ChunkFilter | undefined, hasAudiences = true): string | undefined {
  const inList = (column: string, values: readonly string[] | undefined) => (values?.length ? `${column} IN (${values.map(sqlString).join(', ')})` : undefined);
  const clauses = [inList('product_line', filter?.productLines), inList('lang', filter?.languages), inList('doc_id', filter?.docIds), audienceClause(filter?.audiences, hasAudiences)].filter(Boolean);
  return clauses.length ? clauses.join(' AND ') : undefined;
}

function audienceClause(allowed: readonly string[] | undefined, hasAudiences: boolean): string | undefined {
  if (allowed === undefined) return undefined;
  if (!hasAudiences) return allowed.includes(PUBLIC_AUDIENCE) ? undefined : 'false';
  // An empty list sees nothing (never "no restriction"): fail closed.
  if (!allowed.length) return 'false';
  return `array_has_any(${AUDIENCES}, make_array(${allowed.map(sqlString).join(', ')}))`;
}

/**
 * The knowledge table in LanceDB (the KnowledgeStore port's implementation). Writers commit a whole ingestion run as one new table version;
 * readers open it with a read-consistency interval so they move to new versions on their own.
 */
export class LanceKnowledgeStore implements KnowledgeStore {
  /** The serving-version read in flight, shared by the reads that overlap it. */
  private versionRead?: Promise<number>;
  /** What the store derives from one table version (search metrics, row counts); dropped when the version moves. */
  private derived?: { version: number; search?: { metrics: Record<string, 'cosine' | 'dot'>; indexed: Set<string> }; total?: number; languages: Map<string, number>; hasAudiences?: Promise<boolean> };
  /** The published version this reader's handle is checked out at (undefined: it follows the latest commit). */
  private pinned?: number;
  /** The publication pointer as last read, and when: re-read at most every read-consistency interval. */
  private pointer?: { version?: number; readAt: number };

  private constructor(
    readonly table: lancedb.Table,
    /** Vector column → dimension. */
    readonly dimensions: Record<string, number>,
    private readonly calibrations: VersionNoteStore<Calibration>,
    private readonly location: { connection: lancedb.Connection; dbDir: string; tableName: string },
    /**
     * A reader serves the published version (see publish); a writer (the ingestion run) works on the latest.
     * `pointerSeconds`: how long a read of the publication pointer stands.
     */
    private readonly reading?: { pointerSeconds: number },
  ) {}

  /** Dimension of the primary vector column. */
  get dimension(): number {
    return this.dimensions.vector;
  }

  static async open(dbDir: string, tableName: string, options: { readConsistencySeconds?: number; storageOptions?: Record<string, string> } = {}): Promise<LanceKnowledgeStore> {
    const connection = await lancedb.connect(dbDir, { readConsistencyInterval: options.readConsistencySeconds, storageOptions: options.storageOptions });
    const names = await connection.tableNames();
    if (!names.includes(tableName)) {
      throw new TableMissingError(`Knowledge table "${tableName}" does not exist in ${dbDir}. Run "npm run ingest" first.`);
    }
    const table = await connection.openTable(tableName);
    const location = { connection, dbDir, tableName };
    return new LanceKnowledgeStore(table, await vectorDimensions(table), versionNoteStore(location, 'calibration'), location, { pointerSeconds: options.readConsistencySeconds ?? 0 });
  }

  /** Drops a table and the notes kept beside it (a workspace deleted); a missing table is no error. */
  static async drop(dbDir: string, tableName: string, options: { storageOptions?: Record<string, string> } = {}): Promise<void> {
    const connection = await lancedb.connect(dbDir, { storageOptions: options.storageOptions });
    // The table and every note kept beside it (calibration, publication pointer, contradictions, the regression
    // gate's answers and question vectors): a table created again under the name (a workspace deleted, then created
    // again) must not serve an old pointer, nor show the old knowledge base's contradictions or questions.
    for (const name of await connection.tableNames()) if (name === tableName || name.startsWith(`${tableName}__`)) await connection.dropTable(name);
    if (!isRemoteUri(dbDir)) {
      for (const file of await readdir(dbDir).catch(() => [] as string[])) {
        if (file.startsWith(`${tableName}.`) && /\.json(\.\d+\.\d+\.tmp)?$/.test(file)) await rm(path.join(dbDir, file), { force: true });
      }
    }
  }

  /** Opens the table, creating it empty with the given vector columns if it does not exist yet. */
  static async openOrCreate(dbDir: string, tableName: string, dimensions: Record<string, number>, options: { storageOptions?: Record<string, string> } = {}): Promise<LanceKnowledgeStore> {
    if (!isRemoteUri(dbDir)) await mkdir(dbDir, { recursive: true });
    const connection = await lancedb.connect(dbDir, { storageOptions: options.storageOptions });
    const names = await connection.tableNames();
    const table = names.includes(tableName) ? await connection.openTable(tableName) : await connection.createEmptyTable(tableName, chunkSchema(dimensions));
    const location = { connection, dbDir, tableName };
    const store = new LanceKnowledgeStore(table, await vectorDimensions(table), versionNoteStore(location, 'calibration'), location);
    // A table from before audiences: its rows were all public, and say so from now on (a new version, schema only;
    // the writer holds the table's lock). Readers of the older versions keep reading them as public, and the new
    // version keeps the old one's calibration, as a rollback does: the rows did not change.
    if (!(await hasColumn(table, AUDIENCES))) {
      const before = await table.version();
      await table.addColumns([{ name: AUDIENCES, valueSql: `make_array(${sqlString(PUBLIC_AUDIENCE)})` }]);
      const calibration = await store.calibration(before);
      if (calibration) await store.saveCalibration({ ...calibration, version: await table.version() });
    }
    const describe = (shape: Record<string, number>) =>
      Object.entries(shape)
        .map(([column, dimension]) => `${column}: ${dimension}`)
        .join(', ');
    if (describe(store.dimensions) !== describe(dimensions)) {
      throw new Error(
        `Table "${tableName}" holds vectors of shape {${describe(store.dimensions)}} but the embedding models give {${describe(dimensions)}}. ` +
          'Ingest into a new table (--table) or database (--db).',
      );
    }
    return store;
  }

  /** The table's current version, read now (what a writer needs after its own commit). */
  async version(): Promise<number> {
    return this.table.version();
  }

  /**
   * The version being served, for readers. Each read is a call into LanceDB's runtime; reads that overlap
   * (concurrent answers, the searches of one answer) share one, whose answer was current while they waited.
   */
  servingVersion(): Promise<number> {
    this.versionRead ??= this.followPublished()
      .then(() => this.table.version())
      .finally(() => {
        this.versionRead = undefined;
      });
    return this.versionRead;
  }

  /**
   * A reader's handle is checked out at the published version, so a version an ingestion wrote but did not
   * publish (held by the regression gate) is never served. A table that was never published (written before the
   * pointer existed) is served at its latest commit, as before.
   */
  private async followPublished(): Promise<void> {
    if (!this.reading) return;
    const now = performance.now();
    if (!this.pointer || now - this.pointer.readAt >= this.reading.pointerSeconds * 1000) this.pointer = { version: await this.publishedVersion(), readAt: now };
    const target = this.pointer.version;
    if (target === this.pinned) return;
    if (target === undefined) await this.table.checkoutLatest();
    else {
      try {
        await this.table.checkout(target);
      } catch {
        // A published version that is gone (deleted by hand, or by a retention run of an older release) must not
        // stop every answer: the latest commit serves, as for a table never published.
        await this.table.checkoutLatest();
        this.pinned = undefined;
        this.pointer = { version: undefined, readAt: performance.now() };
        return;
      }
    }
    this.pinned = target;
  }

  async publishedVersion(): Promise<number | undefined> {
    return (await this.publication.read()).current?.version;
  }

  /** Makes `version` the one readers serve (within their read-consistency interval; this handle at once). */
  async publish(version: number): Promise<void> {
    await this.publication.write({ current: { version, at: new Date().toISOString() } });
    this.pointer = undefined;
  }

  private get publication(): VersionNoteStore<{ version: number; at: string }> {
    return versionNoteStore(this.location, 'published');
  }

  /** The newest version in the table, whatever this handle is checked out at. */
  async latestVersion(): Promise<number> {
    return Math.max(...(await this.table.listVersions()).map((entry) => entry.version));
  }

  /** A read-only view of the table at `version` (the regression gate compares the published version with a new one). */
  async atVersion(version: number): Promise<LanceKnowledgeStore> {
    const table = await this.location.connection.openTable(this.location.tableName);
    await table.checkout(version);
    return new LanceKnowledgeStore(table, this.dimensions, this.calibrations, this.location);
  }

  async versionNotes<T>(kind: string): Promise<Record<string, T>> {
    return versionNoteStore<T>(this.location, kind).read();
  }

  /** Keeps a note (a regression score, the contradictions found) with a version, for the last 50 versions. */
  async saveVersionNote<T>(kind: string, version: number, note: T): Promise<void> {
    await saveNote(versionNoteStore<T>(this.location, kind), version, note);
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
    const columns = Object.keys(this.dimensions);
    const data = rows.map((row) => {
      // A row read back from a table holds an Arrow list there, not an array: both are iterable.
      const out: Record<string, unknown> = { ...toColumns(row), [AUDIENCES]: normalizeAudiences(row.audiences ? Array.from(row.audiences as Iterable<string>) : undefined) };
      for (const column of columns) out[column] = Array.from((row as unknown as Record<string, Float32Array>)[column] ?? emptyVector(this.dimensions[column]));
      return out;
    });
    let builder = this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll();
    if (replacedDocIds.length) builder = builder.whenNotMatchedBySourceDelete({ where: scope });
    await builder.execute(lancedb.makeArrowTable(data, { schema: chunkSchema(this.dimensions) }));
  }

  /** (Re)builds the full-text index. ICU word breaking segments Chinese without a dictionary download. */
  async buildFullTextIndex(): Promise<void> {
    await this.table.createIndex('search_text', {
      // 'icu' is supported by the native library of 0.31 (Chinese full-text tests prove it) but missing from its typings.
      config: lancedb.Index.fts({ baseTokenizer: 'icu' as 'simple', lowercase: true, stem: false, removeStopWords: false, asciiFolding: true, withPosition: false }),
      replace: true,
    });
  }

  /**
   * Adds rows written since the indexes were built to the full-text and vector indexes, incrementally:
   * a few changed documents in a 100k-row table cost seconds, not a rebuild (README "Benchmarks"). Also
   * compacts small fragments; deletes no old version (retention does that, under its own policy).
   */
  async updateIndexes(): Promise<void> {
    await this.table.optimize({ cleanupOlderThan: new Date(0) });
  }

  /**
   * Past `minRows`, the indexes a large table needs; below it a flat scan is exact and fast enough. Built once;
   * afterwards each run's `optimize` (retention) adds new rows to them incrementally, and rows not yet in an
   * index are searched flat. Returns the vector columns indexed now.
   * - Every vector column: IVF-HNSW with scalar-quantised vectors (one partition per million rows; HNSW's graph
   *   gives near-exact recall: recall@10 1.0 against the flat scan on the sample questions).
   * - A bitmap index on each column searches filter by (`lang`: every search of a language space; `product_line`:
   *   a line the caller states). Without it LanceDB reads the column for every query: an English vector search at
   *   100k rows took 11.3 ms with its language filter, 6.2 ms with the index (5.4 unfiltered); built in 20 ms.
   */
  async ensureIndexes(minRows: number): Promise<string[]> {
    const rows = await this.table.countRows();
    if (rows < minRows) return [];
    const indexed = new Set((await this.table.listIndices()).flatMap((entry) => entry.columns));
    const built: string[] = [];
    for (const column of Object.keys(this.dimensions)) {
      if (indexed.has(column)) continue;
      // Cosine, even for unit vectors: LanceDB 0.31's HNSW-SQ index with the dot metric returns wrong neighbours
      // and distances around -90 (measured on the 10k bench table), while cosine finds what the exact scan finds.
      await this.table.createIndex(column, { config: lancedb.Index.hnswSq({ distanceType: 'cosine', numPartitions: Math.max(1, Math.ceil(rows / 1_000_000)) }) });
      built.push(column);
    }
    for (const column of FILTER_COLUMNS) if (!indexed.has(column)) await this.table.createIndex(column, { config: lancedb.Index.bitmap() });
    // Every answer filters by audience: a label-list index is what `array_has_any` uses.
    if (!indexed.has(AUDIENCES) && (await hasColumn(this.table, AUDIENCES))) await this.table.createIndex(AUDIENCES, { config: lancedb.Index.labelList() });
    return built;
  }

  /** Vector columns with an approximate index. */
  async vectorIndexes(): Promise<string[]> {
    const columns = new Set(Object.keys(this.dimensions));
    return (await this.table.listIndices()).flatMap((entry) => entry.columns).filter((column) => columns.has(column));
  }

  /**
   * How many rows the full-text index covers and misses. A crash between a commit and the index rebuild
   * leaves new rows unindexed (searched by a flat scan, slower with every such run, and never repaired by
   * a rerun that sees nothing changed); ingestion and readiness both check this.
   * `indexed` is undefined when there is no index at all.
   */
  async fullTextIndexCoverage(): Promise<{ indexed?: number; unindexed: number }> {
    const index = (await this.table.listIndices()).find((entry) => entry.columns.includes('search_text'));
    if (!index) return { unindexed: await this.table.countRows() };
    const stats = await this.table.indexStats(index.name);
    return { indexed: stats?.numIndexedRows ?? 0, unindexed: stats?.numUnindexedRows ?? 0 };
  }

  /** Whether the current version carries an ingestion tag (a run that crashed before tagging does not). */
  async currentVersionTagged(): Promise<boolean> {
    const version = await this.table.version();
    return Object.values(await (await this.table.tags()).list()).some((tag) => tag.version === version);
  }

  /**
   * The distance each vector column is searched with. Cosine similarity is the score everywhere, but for
   * unit-length vectors (every model here normalises) the dot product is the same number at half the cost
   * of a flat scan, which computes both norms for every row. A column with an index is searched with the
   * index's metric, cosine (a query of another metric would silently bypass it). Read again when the version moves.
   */
  private async metrics(): Promise<Record<string, 'cosine' | 'dot'>> {
    const derived = await this.forVersion();
    if (derived.search) return derived.search.metrics;
    const indexes = await this.table.listIndices();
    const metrics: Record<string, 'cosine' | 'dot'> = {};
    for (const column of Object.keys(this.dimensions)) {
      const index = indexes.find((entry) => entry.columns.includes(column));
      const indexed = (index?.indexDetails as { metric_type?: string } | undefined)?.metric_type?.toLowerCase();
      metrics[column] = indexed === 'dot' || indexed === 'cosine' ? indexed : (await this.unitLength(column)) ? 'dot' : 'cosine';
    }
    derived.search = { metrics, indexed: new Set(indexes.flatMap((entry) => entry.columns).filter((name) => name in this.dimensions)) };
    return metrics;
  }

  private async forVersion(): Promise<NonNullable<LanceKnowledgeStore['derived']>> {
    const version = await this.servingVersion();
    if (this.derived?.version !== version) this.derived = { version, languages: new Map() };
    return this.derived;
  }

  /** Whether the serving version has the audiences column (read once per version; see AUDIENCES). */
  private async hasAudiences(): Promise<boolean> {
    const derived = await this.forVersion();
    derived.hasAudiences ??= hasColumn(this.table, AUDIENCES);
    return derived.hasAudiences;
  }

  /** The columns a hit reads, and the where clause of a filter, for the version being served. */
  private async searchShape(filter: ChunkFilter | undefined): Promise<{ columns: string[]; where?: string }> {
    const audiences = await this.hasAudiences();
    return { columns: audiences ? [...HIT_COLUMNS, AUDIENCES] : HIT_COLUMNS, where: whereClause(filter, audiences) };
  }

  /** Whether the column's (non-empty) vectors have unit length, judged on a sample of rows. */
  private async unitLength(column: string): Promise<boolean> {
    // A language column holds zero vectors for other languages' rows: sample its own language's rows.
    let query = this.table.query().select([column]).limit(64);
    if (column.startsWith('vector_')) query = query.where(`lang = ${sqlString(column.slice('vector_'.length))}`);
    const rows = await query.toArray();
    const norms = rows.map((row) => Math.hypot(...(row[column] as Iterable<number>))).filter((norm) => norm > 0);
    return norms.length > 0 && norms.every((norm) => Math.abs(norm - 1) < 1e-3);
  }

  /** Share of the rows in `lang`, counted once per table version. */
  async languageShare(lang: string): Promise<number> {
    const derived = await this.forVersion();
    derived.total ??= await this.table.countRows();
    let count = derived.languages.get(lang);
    if (count === undefined) {
      count = await this.table.countRows(`lang = ${sqlString(lang)}`);
      derived.languages.set(lang, count);
    }
    return derived.total ? count / derived.total : 0;
  }

  async vectorSearch(vector: Float32Array, limit: number, filter?: ChunkFilter, column = 'vector', options: { withVectors?: boolean } = {}): Promise<ScoredChunk[]> {
    const metric = (await this.metrics())[column] ?? 'cosine';
    const shape = await this.searchShape(filter);
    const where = shape.where;
    const columns = options.withVectors ? [...shape.columns, column] : shape.columns;
    // `ef`: how wide the HNSW search looks when an index exists (ignored by a flat scan); 4× the hits asked for.
    let query = this.table
      .vectorSearch(Array.from(vector))
      .column(column)
      .distanceType(metric)
      .select([...columns, '_distance'])
      .limit(limit)
      .ef(Math.max(64, limit * 4));
    // The index compares scalar-quantised vectors, whose distances are off by up to 0.3 (measured): answerability
    // reads these scores, so the hits are re-scored on their full vectors (refine), exactly as a flat scan would.
    if (this.derived?.search?.indexed.has(column)) query = query.refineFactor(1);
    if (where) query = query.where(where);
    // Cosine (or, for unit vectors, dot) distance → similarity in [-1, 1]; comparable across questions, unlike fused ranks.
    const result = await query.toArrow();
    const hits = hitsOf(result, columns, '_distance', (distance) => 1 - distance);
    // Asked-for vectors travel as `vector`, whichever column they came from.
    if (options.withVectors) {
      const vectors = result.getChild(column)?.toArray() ?? [];
      (hits as unknown as Record<string, unknown>[]).forEach((hit, row) => {
        hit.vector = vectors[row];
      });
    }
    return hits;
  }

  async fullTextSearch(text: string, limit: number, filter?: ChunkFilter): Promise<ScoredChunk[]> {
    if (!text.trim()) return [];
    if (this.reading) await this.servingVersion();
    const { columns, where } = await this.searchShape(filter);
    let query = this.table
      .query()
      .fullTextSearch(text, { columns: ['search_text'] })
      .select([...columns, '_score'])
      .limit(limit);
    if (where) query = query.where(where);
    return hitsOf(await query.toArrow(), columns, '_score', (score) => score);
  }

  async listVersions(): Promise<KnowledgeVersion[]> {
    const [versions, tags] = await Promise.all([this.table.listVersions(), (await this.table.tags()).list()]);
    const tagByVersion = new Map<number, string>();
    for (const [name, tag] of Object.entries(tags)) tagByVersion.set(tag.version, name);
    return versions.map((entry) => ({ version: entry.version, timestamp: entry.timestamp, tag: tagByVersion.get(entry.version) }));
  }

  /**
   * The oldest moment the retention policy keeps: versions before it go. The last `keepVersions`
   * ingestion (tagged) versions stay whatever their age, and so does everything younger than `keepDays`.
   */
  private async retentionCutoff(policy: { keepVersions: number; keepDays: number }): Promise<Date | undefined> {
    const versions = (await this.listVersions()).sort((a, b) => b.version - a.version);
    const tagged = versions.filter((entry) => entry.tag);
    const byAge = Date.now() - policy.keepDays * 86_400_000;
    // The current version counts as one of the N even before its run tags it.
    const current = await this.table.version();
    const keepOld = Math.max(policy.keepVersions, 1) - (tagged.some((entry) => entry.version === current) ? 0 : 1);
    if (keepOld === 0) return new Date(Math.min(Date.now(), byAge));
    const oldestKeptTag = tagged[keepOld - 1];
    if (!oldestKeptTag) return undefined;
    // LanceDB judges age by the manifest file's time, a few ms before the version's own timestamp: cut just
    // after the version before the oldest kept one, not at the kept one's timestamp (which would drop it).
    // The published version stays too, however many versions were written (and held) after it.
    const published = await this.publishedVersion();
    const oldestKept = published === undefined ? oldestKeptTag.version : Math.min(published, oldestKeptTag.version);
    const previous = versions.find((entry) => entry.version < oldestKept);
    if (!previous) return undefined;
    return new Date(Math.min(previous.timestamp.getTime() + 1, byAge));
  }

  /** Whether the table holds versions the policy would delete (a run that changed nothing still cleans up then). */
  async needsCleanup(policy: { keepVersions: number; keepDays: number }): Promise<boolean> {
    const cutoff = await this.retentionCutoff(policy);
    return Boolean(cutoff && (await this.table.listVersions()).some((entry) => entry.timestamp < cutoff));
  }

  /**
   * Deletes the versions the retention policy no longer keeps (their tags first: LanceDB refuses to drop a
   * tagged version), compacts small fragments, and deletes data files no version references (what a crashed
   * run left). The caller holds the ingestion lock, so no other writer has files in flight. Returns how many
   * versions went. Compaction commits a new current version.
   */
  async applyRetention(policy: { keepVersions: number; keepDays: number }): Promise<number> {
    const cutoff = await this.retentionCutoff(policy);
    if (!cutoff) return 0;
    const before = await this.listVersions();
    const tags = await this.table.tags();
    for (const entry of before) if (entry.tag && entry.timestamp <= cutoff) await tags.delete(entry.tag);
    await this.table.optimize({ cleanupOlderThan: cutoff, deleteUnverified: true });
    const after = new Set((await this.table.listVersions()).map((entry) => entry.version));
    return before.filter((entry) => !after.has(entry.version)).length;
  }

  async tagVersion(tag: string, version: number): Promise<void> {
    await (await this.table.tags()).create(tag, version);
  }

  /** Makes an old version current again by committing a new version with its contents (and its calibration). */
  async rollback(version: number | string, options: { force?: boolean } = {}): Promise<number> {
    this.pinned = undefined;
    try {
      await this.table.checkout(version);
    } catch (error) {
      await this.table.checkoutLatest();
      throw new VersionNotFoundError(`Version ${JSON.stringify(version)} does not exist; see the list of versions.`, { cause: error });
    }
    const restoredFrom = await this.table.version();
    if (!options.force && (await this.table.countRows()) === 0) {
      await this.table.checkoutLatest();
      throw new EmptyVersionError(`Version ${restoredFrom} holds no chunks: every question would be refused. Roll back with force to do it anyway.`);
    }
    await this.table.restore();
    await this.table.checkoutLatest();
    this.pinned = undefined;
    const current = await this.table.version();
    const calibration = await this.calibration(restoredFrom);
    if (calibration) await this.saveCalibration({ ...calibration, version: current });
    // A rollback is an operator's decision: it serves at once (a version the gate held is passed over).
    await this.publish(current);
    if (this.reading) await this.servingVersion();
    return current;
  }

  /**
   * A deterministic sample of chunks, at most `perLanguage` per language, spread over the whole table by
   * hashing ids (the first rows would all come from the first files).
   */
  async sampleChunks(perLanguage: number): Promise<StoredChunk[]> {
    const ids = await this.table.query().select(['id', 'lang']).toArray();
    const rank = (id: string) => createHash('sha256').update(id).digest().readUInt32BE(0);
    const chosen: string[] = [];
    for (const lang of new Set(ids.map((row) => row.lang as string))) {
      const inLanguage = ids.filter((row) => row.lang === lang).map((row) => row.id as string);
      chosen.push(...inLanguage.sort((a, b) => rank(a) - rank(b)).slice(0, perLanguage));
    }
    if (!chosen.length) return [];
    const audiences = await hasColumn(this.table, AUDIENCES);
    const rows = await this.table
      .query()
      .where(`id IN (${chosen.map(sqlString).join(', ')})`)
      .select(audiences ? [...COLUMNS, AUDIENCES] : COLUMNS)
      .toArray();
    return rows.map((row) => pick(row));
  }

  /** The calibration stored for a table version, if ingestion measured one. */
  async calibration(version: number): Promise<Calibration | undefined> {
    return (await this.calibrations.read())[String(version)];
  }

  async saveCalibration(calibration: Calibration): Promise<void> {
    await saveNote(this.calibrations, calibration.version, calibration);
  }

  /** A writer moves to the latest commit; a reader re-reads the publication pointer now and serves what it names. */
  async checkoutLatest(): Promise<void> {
    if (!this.reading) {
      await this.table.checkoutLatest();
      return;
    }
    this.pointer = undefined;
    await this.servingVersion();
  }

  close(): void {
    this.table.close();
  }
}

/** A LanceDB location that is a URI (s3://, gs://, az://…) rather than a local folder. */
export const isRemoteUri = (location: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(location);

/** Where notes kept per table version (calibrations, regression scores, contradictions, the publication pointer) live: all of one kind as one JSON document. */
interface VersionNoteStore<T> {
  read(): Promise<Record<string, T>>;
  write(all: Record<string, T>): Promise<void>;
}

/** Keep it small: the last 50 versions are more than rollback ever needs. */
async function saveNote<T>(notes: VersionNoteStore<T>, version: number, note: T): Promise<void> {
  const all = await notes.read();
  all[String(version)] = note;
  await notes.write(
    Object.fromEntries(
      Object.entries(all)
        .sort((a, b) => Number(b[0]) - Number(a[0]))
        .slice(0, 50),
    ),
  );
}

/**
 * Local tables keep each kind of note in a JSON file beside the table (written atomically). Tables on object
 * storage keep them in a one-row LanceDB table next to the knowledge table, so every replica on every host
 * reads the same thresholds and the same publication pointer.
 */
function versionNoteStore<T>(location: { connection: lancedb.Connection; dbDir: string; tableName: string }, kind: string): VersionNoteStore<T> {
  const { connection, dbDir, tableName } = location;
  if (!isRemoteUri(dbDir)) {
    const file = path.join(dbDir, `${tableName}.${kind}.json`);
    return {
      read: async () => {
        try {
          return JSON.parse(await readFile(file, 'utf8')) as Record<string, T>;
        } catch {
          return {};
        }
      },
      write: async (all) => {
        const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
        await writeFile(temporary, JSON.stringify(all, null, 2));
        await rename(temporary, file);
      },
    };
  }
  const name = `${tableName}__${kind}`;
  return {
    read: async () => {
      if (!(await connection.tableNames()).includes(name)) return {};
      const rows = await (await connection.openTable(name)).query().limit(1).toArray();
      return rows.length ? (JSON.parse(rows[0].json as string) as Record<string, T>) : {};
    },
    write: async (all) => {
      await connection.createTable(name, [{ id: kind, json: JSON.stringify(all) }], { mode: 'overwrite' });
    },
  };
}

async function vectorDimensions(table: lancedb.Table): Promise<Record<string, number>> {
  const schema = await table.schema();
  const dimensions: Record<string, number> = {};
  for (const field of schema.fields) {
    if (field.name !== 'vector' && !field.name.startsWith('vector_')) continue;
    const size = (field.type as FixedSizeList | undefined)?.listSize;
    if (size) dimensions[field.name] = size;
  }
  if (!dimensions.vector) throw new Error(`Table ${table.name} has no fixed-size "vector" column`);
  return dimensions;
}

/**
 * A search's hits as plain objects, read column by column. Arrow's row proxies cost a visitor call per field:
 * on 40 hits of the 10k bench table, 0.49 ms against 0.17 ms this way, and a question makes three searches.
 */
function hitsOf(result: ArrowTable, selected: string[], scoreColumn: string, toScore: (value: number) => number): ScoredChunk[] {
  const columns = HIT_FIELDS.map((field) => [field, result.getChild(COLUMN_OF[field])?.toArray() ?? []] as const);
  const audiences = selected.includes(AUDIENCES) ? result.getChild(AUDIENCES) : undefined;
  const scores = result.getChild(scoreColumn)?.toArray() ?? [];
  const hits = new Array<ScoredChunk>(result.numRows);
  for (let row = 0; row < result.numRows; row++) {
    const hit: Record<string, unknown> = {};
    for (const [name, values] of columns) hit[name] = values[row];
    hit.metadata = parseChunkMetadata(hit.metadata as string | undefined);
    hit.audiences = audienceValues(audiences?.get(row));
    hit.score = toScore(Number(scores[row]));
    hits[row] = hit as unknown as ScoredChunk;
  }
  return hits;
}

/** A row's audiences as a plain array; a row of a table without the column is public. */
function audienceValues(list: { toArray(): ArrayLike<unknown> } | null | undefined): string[] {
  const values = list ? Array.from(list.toArray(), String) : [];
  return values.length ? values : [...PUBLIC_ONLY];
}

function pick(row: Record<string, unknown>): StoredChunk {
  const chunk: StoredChunk = fromColumns(row, STORED_FIELDS);
  return { ...chunk, audiences: audienceValues(row[AUDIENCES] as { toArray(): ArrayLike<unknown> } | undefined) };
}

async function hasColumn(table: lancedb.Table, column: string): Promise<boolean> {
  return (await table.schema()).fields.some((field) => field.name === column);
}
