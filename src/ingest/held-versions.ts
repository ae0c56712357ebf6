import { conflict } from '../errors.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import { CONTRADICTIONS_NOTE } from './contradictions.js';

/*
 * What approving or discarding a held job does to the table (IngestJobs.decide runs these under the table's lock).
 * A held version is written but not published: approving publishes it; discarding restores the published version's
 * contents as the newest version, so the next ingestion compares the folder with what serves, not with what was thrown away.
 */

/** Publishes the held version; refused when a later ingestion or a rollback wrote over it. Returns the version now served. */
export async function approveHeld(store: KnowledgeStore, version: number | undefined): Promise<number> {
  const latest = await store.latestVersion();
  if (version === undefined || version !== latest) {
    throw conflict('held_version_superseded', `Version ${version} is no longer the newest (${latest}): a later ingestion or rollback wrote over it. Discard this job and ingest again.`);
  }
  await store.publish(version);
  await store.checkoutLatest();
  return version;
}

/** Goes back to the published version's contents; the held version stays in the history until retention removes it. */
export async function discardHeld(store: KnowledgeStore): Promise<number> {
  const published = await store.publishedVersion();
  if (published === undefined) throw conflict('nothing_published', 'No version has been published yet: there is nothing to go back to');
  if ((await store.latestVersion()) === published) return published;
  const restored = await store.rollback(published, { force: true });
  const contradictions = (await store.versionNotes(CONTRADICTIONS_NOTE))[String(published)];
  if (contradictions) await store.saveVersionNote(CONTRADICTIONS_NOTE, restored, contradictions);
  return restored;
}
