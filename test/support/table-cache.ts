import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config/config.js';

/**
 * Ingested tables shared by the test files of one run. Ingesting the sample knowledge base with the real models
 * (and the regression gate and calibration that run with it) costs tens of seconds; most files only need the
 * result. The first file to ingest a given input keeps a copy of its database folder here; the next with the same
 * input gets its own copy of that folder instead of ingesting again (a test may change its copy freely).
 *
 * What counts as "the same input" is learned, not listed: the first ingestion runs with a config that records
 * which settings ingestion read, and an entry is reused only when all of those settings are equal, with paths
 * compared by what they hold (a copied knowledge folder is the same input as the original). The cache lives for
 * one run (vitest's globalSetup, test/support/table-cache-setup.ts, makes the folder and removes it), so the
 * models and the ingestion code cannot change under it. Without that folder (a script outside vitest), every
 * call ingests.
 */
export const TABLE_CACHE_ENV = 'KEFU_TEST_TABLE_CACHE';

/** Settings that say where the result goes, not what it holds. */
const DESTINATION = new Set(['DB_DIR']);
/** Settings that are names, not paths (the table `knowledge` is not the folder knowledge/). */
const NAMES = new Set(['TABLE_NAME']);
/** Settings ingestion reads for its lease (who else is ingesting) and logging: they change nothing in the table. */
const NOT_CONTENT = new Set(['REDIS_URL', 'REDIS_KEY_PREFIX', 'REDIS_COMMAND_TIMEOUT_MS', 'INGEST_LOCK_TTL_SECONDS', 'LOG_LEVEL']);

interface Entry {
  /** The settings ingestion read, as fingerprints (fingerprintOf). */
  read: Record<string, string>;
}

/**
 * Ingests with `config` into its DB_DIR, or copies the folder a previous identical ingestion of this run left.
 * `ingest` must write only into config.DB_DIR and read only through `config` (files the settings name are
 * compared by content).
 */
export async function ingestCached(config: Config, ingest: (config: Config) => Promise<void>): Promise<void> {
  const root = process.env[TABLE_CACHE_ENV];
  if (!root || !(await isEmptyOrMissing(config.DB_DIR))) return ingest(config);
  const fingerprint = fingerprints(config);
  const copyOf = async (entry: string) => cp(path.join(entry, 'db'), config.DB_DIR, { recursive: true });
  const hit = await findEntry(root, fingerprint);
  if (hit) return copyOf(hit);
  // Files run two at a time: a file that misses waits for an ingestion another file is making, then looks again, so
  // the first sample ingestion of a run is made once and not by both files that start the run.
  const release = await lockCache(root);
  try {
    const made = await findEntry(root, fingerprint);
    if (made) return await copyOf(made);
    await ingestRecorded(root, config, ingest, fingerprint);
  } finally {
    await release();
  }
}

/** Ingests with a config that records the settings ingestion reads, then keeps the result under them. */
async function ingestRecorded(root: string, config: Config, ingest: (config: Config) => Promise<void>, fingerprint: (key: string) => Promise<string>): Promise<void> {
  // Every setting looked at counts, set or not (an unset REGRESSION_FILE is an input too); listing them all counts them all.
  const read = new Set<string>();
  const recording = new Proxy(config, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      for (const key of Object.keys(target)) read.add(key);
      return Reflect.ownKeys(target);
    },
  });
  await ingest(recording);
  const inputs: Record<string, string> = {};
  for (const key of [...read].filter((key) => !DESTINATION.has(key) && !NOT_CONTENT.has(key)).sort()) inputs[key] = await fingerprint(key);
  // Written whole in a temporary folder, then renamed: a reader never sees half an entry.
  const temporary = await mkdtemp(path.join(root, 'writing-'));
  await cp(config.DB_DIR, path.join(temporary, 'db'), { recursive: true });
  const entry: Entry = { read: inputs };
  await writeFile(path.join(temporary, 'entry.json'), JSON.stringify(entry));
  await rename(temporary, path.join(root, `entry-${hashText(JSON.stringify(entry))}`)).catch(() => rm(temporary, { recursive: true, force: true }));
}

/**
 * One ingestion through the cache at a time across the run's processes: a folder made with mkdir (atomic) holding its
 * owner's pid; a lock whose owner has died (a file killed mid-ingestion) is taken over. The wait is bounded: the
 * holder may be making another input (the multilingual table takes minutes), and a file that waited that long
 * ingests beside it rather than add the whole of that ingestion to its own set-up.
 */
const LOCK_WAIT_MS = 60_000;
/**
 * A lock without a pid this long after it was made was left by a process killed between the mkdir and the pid's
 * write (milliseconds apart): taken over, instead of every later file waiting LOCK_WAIT_MS for nobody.
 */
const NO_PID_STALE_MS = 5_000;

export async function lockCache(root: string): Promise<() => Promise<void>> {
  const lock = path.join(root, 'ingesting.lock');
  const giveUp = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    if (Date.now() > giveUp) return async () => undefined;
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, 'pid'), String(process.pid));
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!((await isStale(lock)) && (await takeOver(lock)))) await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Removes a stale lock, judged again while holding `<lock>.takeover`; whether it did. Two files that both found it
 * stale would otherwise both remove it: the slower one removing the lock the faster one had just taken, and both
 * ingesting at once. A judge's folder left by a file killed while judging (milliseconds) is removed when old.
 */
async function takeOver(lock: string): Promise<boolean> {
  const judge = `${lock}.takeover`;
  try {
    await mkdir(judge);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const made = await stat(judge).catch(() => undefined);
    if (made && Date.now() - made.mtimeMs > NO_PID_STALE_MS) await rm(judge, { recursive: true, force: true });
    return false;
  }
  try {
    if (!(await isStale(lock))) return false;
    await rm(lock, { recursive: true, force: true });
    return true;
  } finally {
    await rm(judge, { recursive: true, force: true });
  }
}

/** Its owner dead, or no owner written long after it was made. */
export async function isStale(lock: string): Promise<boolean> {
  const owner = Number(await readFile(path.join(lock, 'pid'), 'utf8').catch(() => ''));
  if (owner) return !isAlive(owner);
  const made = await stat(lock).catch(() => undefined);
  return made !== undefined && Date.now() - made.mtimeMs > NO_PID_STALE_MS;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function findEntry(root: string, fingerprint: (key: string) => Promise<string>): Promise<string | undefined> {
  entries: for (const name of (await readdir(root)).filter((file) => file.startsWith('entry-')).sort()) {
    const entry = JSON.parse(await readFile(path.join(root, name, 'entry.json'), 'utf8')) as Entry;
    for (const [key, value] of Object.entries(entry.read)) if ((await fingerprint(key)) !== value) continue entries;
    return path.join(root, name);
  }
  return undefined;
}

/**
 * Each setting as a comparable string (computed when first asked, then remembered). A path inside the knowledge
 * folder is its place in the folder plus the folder's content; another path that exists, or any path in the
 * temporary folder, is its content (a test's own copy of a file is the same input as the original); anything
 * else is its value.
 */
export function fingerprints(config: Config): (key: string) => Promise<string> {
  const knowledge = path.resolve(config.KNOWLEDGE_DIR);
  let knowledgeHash: Promise<string> | undefined;
  const known = new Map<string, Promise<string>>();
  const compute = async (key: string): Promise<string> => {
    if (!(key in config)) return 'absent';
    const value: unknown = config[key as keyof Config];
    if (typeof value !== 'string') return `json:${JSON.stringify(value)}`;
    if (NAMES.has(key)) return `value:${value}`;
    const resolved = path.resolve(value);
    const inside = path.relative(knowledge, resolved);
    if (value && !inside.startsWith('..') && !path.isAbsolute(inside)) return `knowledge:${await (knowledgeHash ??= hashPath(knowledge))}:${inside}`;
    if (value && ((path.isAbsolute(value) && resolved.startsWith(os.tmpdir())) || (await exists(resolved)))) return `content:${await hashPath(resolved)}`;
    return `value:${value}`;
  };
  return (key) => {
    if (!known.has(key)) known.set(key, compute(key));
    return known.get(key)!;
  };
}

const exists = (target: string) =>
  stat(target).then(
    () => true,
    () => false,
  );

/** A file's or folder's content (names and bytes, recursively); "missing" when there is nothing there. */
async function hashPath(target: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (current: string, relative: string): Promise<void> => {
    const info = await stat(current).catch(() => undefined);
    if (!info) return void hash.update(`missing:${relative}\n`);
    if (info.isDirectory()) {
      hash.update(`dir:${relative}\n`);
      for (const name of (await readdir(current)).sort()) await walk(path.join(current, name), path.join(relative, name));
      return;
    }
    hash.update(`file:${relative}:${info.size}\n`);
    hash.update(await readFile(current));
  };
  await walk(target, '.');
  return hash.digest('hex');
}

const hashText = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => undefined);
  return !names || names.length === 0;
}

/** For vitest's globalSetup: a fresh cache folder for this run, and its removal. */
export async function createTableCache(): Promise<{ dir: string; remove: () => Promise<void> }> {
  await mkdir(os.tmpdir(), { recursive: true });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-test-tables-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
