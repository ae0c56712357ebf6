import { describe, expect, it } from 'vitest';
import { KnowledgeService, type KnowledgeServiceOptions } from '../../src/ingest/knowledge-service.js';
import { LockHeldError } from '../../src/ingest/lock.js';

const upload = { name: 'faq.csv', path: 'uploads/faq.csv', bytes: 1, modifiedAt: '2026-12-07T00:00:00.000Z' };

/** The admin routes reach uploads only through the knowledge service; what a delete does is its to decide. */
describe('deleting an upload through the knowledge service', () => {
  const service = (start: KnowledgeServiceOptions['jobs']['start'], removed: string[], conflicts: { count: number }) =>
    new KnowledgeService({
      documents: { uploads: async () => [upload], remove: async (file: string) => void removed.push(file) } as never,
      store: {} as never,
      jobs: { start } as never,
      lock: {} as never,
      onConflict: () => conflicts.count++,
    });

  it('removes the file in a delete job, under its lock, and says which file and job', async () => {
    const removed: string[] = [];
    const knowledge = service(
      async (kind, details) => {
        await details.prepare?.();
        return { id: 'job-1', kind } as never;
      },
      removed,
      { count: 0 },
    );
    expect(await knowledge.deleteUpload('faq.csv', 'admin')).toMatchObject({ upload, job: { id: 'job-1', kind: 'delete' } });
    expect(removed).toEqual(['uploads/faq.csv']);
  });

  it('answers an unknown name as not found, and counts a run holding the lock as a conflict', async () => {
    const conflicts = { count: 0 };
    const knowledge = service(
      async () => {
        throw new LockHeldError('another run holds the lock');
      },
      [],
      conflicts,
    );
    await expect(knowledge.deleteUpload('nope.csv')).rejects.toMatchObject({ kind: 'not_found', code: 'upload_not_found' });
    await expect(knowledge.deleteUpload('faq.csv')).rejects.toBeInstanceOf(LockHeldError);
    expect(conflicts.count).toBe(1);
  });
});
