import { hostname } from 'node:os';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

export class LockHeldError extends Error {
  override name = 'LockHeldError';
}

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * An exclusive lock file per table, so two ingestion runs cannot interleave their commits. A lock left
 * by a process that died (same host, pid gone) is taken over; a live one is reported with its owner.
 */
export async function acquireIngestLock(dbDir: string, tableName: string): Promise<{ release: () => Promise<void>; file: string }> {
  await mkdir(dbDir, { recursive: true });
  const file = path.join(dbDir, `.${tableName}.ingest.lock`);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return { file, release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readOwner(file);
      if (holder && isAlive(holder)) {
        throw new LockHeldError(
          `Another ingestion into table "${tableName}" is running (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}). ` +
            `Wait for it to finish; if that process is gone, delete ${file}.`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new LockHeldError(`Could not take the ingestion lock ${file}`);
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  // A lock from another host cannot be checked: treat it as held.
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
