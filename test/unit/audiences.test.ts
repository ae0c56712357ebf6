import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnswerCache } from '../../src/answer/answer-cache.js';
import { AudienceRulesError, FolderAudiences, setFileAudiences } from '../../src/ingest/audience-rules.js';
import { DocumentFiles } from '../../src/ingest/document-files.js';
import { KnowledgeService, type KnowledgeServiceOptions } from '../../src/ingest/knowledge-service.js';
import { UnreadableFileError } from '../../src/ingest/document.js';
import { loadMarkdown } from '../../src/ingest/loaders/markdown.js';
import { loadJsonLines } from '../../src/ingest/loaders/records.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { isInternal, keyAudiences, normalizeAudiences, visibleTo } from '../../src/store/audiences.js';
import { tempDir } from '../support/real-stack.js';
import express from 'express';
import request from 'supertest';
import { adminRoutes, type AdminRouteOptions } from '../../src/http/admin-routes.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/log.js';

describe('audience names and visibility', () => {
  it('a document is public unless limited; a list holding public is public', () => {
    expect(normalizeAudiences(undefined)).toEqual(['public']);
    expect(normalizeAudiences(['Partners', 'agents', 'agents'])).toEqual(['agents', 'partners']);
    expect(normalizeAudiences(['agents', 'public'])).toEqual(['public']);
    expect(isInternal(['agents'])).toBe(true);
    expect(isInternal(undefined)).toBe(false);
  });

  it('a key sees what shares one of its audiences; a key without any is public', () => {
    expect(keyAudiences(undefined)).toEqual(['public']);
    expect(keyAudiences(['public', 'agents'])).toEqual(['agents', 'public']);
    expect(visibleTo(['agents'], keyAudiences(undefined))).toBe(false);
    expect(visibleTo(['agents'], ['agents', 'public'])).toBe(true);
    expect(visibleTo(undefined, ['agents'])).toBe(false);
    expect(visibleTo(['partners'], ['agents', 'public'])).toBe(false);
  });
});

describe('a document says who may see it', () => {
  it('Markdown front matter, as a list or a comma-separated string', () => {
    const [document] = loadMarkdown(Buffer.from('---\naudiences: [agents]\n---\n# Escalations\n\nCall the duty manager.\n'), 'internal/escalations.md');
    expect(document.audiences).toEqual(['agents']);
    expect(loadMarkdown(Buffer.from('---\naudience: agents, partners\n---\n# Prices\n\nAt cost.\n'), 'prices.md')[0].audiences).toEqual(['agents', 'partners']);
    expect(loadMarkdown(Buffer.from('# Public\n\nHello.\n'), 'public.md')[0].audiences).toBeUndefined();
  });

  it('an invalid value fails the document rather than publish it', () => {
    expect(() => loadMarkdown(Buffer.from('---\naudiences: [Agents!]\n---\n# X\n\nY.\n'), 'x.md')).toThrow(UnreadableFileError);
    const result = loadJsonLines(
      Buffer.from(`${JSON.stringify({ id: 'a', question: 'Q?', answer: 'A.', audiences: 'agents' })}\n${JSON.stringify({ id: 'b', question: 'Q2?', answer: 'A2.', audiences: ['no way'] })}\n`),
      'faq.jsonl',
    );
    expect(result.documents.map((document) => [document.docId, document.audiences])).toEqual([['a', ['agents']]]);
    expect(result.failures[0].reason).toMatch(/audience/);
    // The field is the row's audiences, not metadata shown anywhere.
    expect(result.documents[0].metadata).not.toHaveProperty('audiences');
  });
});

describe('per-folder audiences (.audiences.yaml)', () => {
  it('the nearest file wins, a files entry before its folder’s audiences; none is undefined', async () => {
    const temp = await tempDir('audience-rules');
    try {
      await mkdir(path.join(temp.dir, 'internal', 'partners'), { recursive: true });
      await writeFile(path.join(temp.dir, 'internal', '.audiences.yaml'), 'audiences: [agents]\nfiles:\n  pricing.pdf: [partners, agents]\n');
      await writeFile(path.join(temp.dir, 'internal', 'partners', '.audiences.yaml'), 'audiences: partners\n');
      const rules = new FolderAudiences(temp.dir);
      expect(await rules.forFile('internal/escalations.md')).toEqual(['agents']);
      expect(await rules.forFile('internal/pricing.pdf')).toEqual(['agents', 'partners']);
      expect(await rules.forFile('internal/partners/sheet.md')).toEqual(['partners']);
      expect(await rules.forFile('manuals/band.md')).toBeUndefined();
    } finally {
      await temp.remove();
    }
  });

  it('an unreadable rules file is an error for the documents under it', async () => {
    const temp = await tempDir('audience-rules-bad');
    try {
      await writeFile(path.join(temp.dir, '.audiences.yaml'), 'audiences: [Not Valid]\n');
      await expect(new FolderAudiences(temp.dir).forFile('a.md')).rejects.toBeInstanceOf(AudienceRulesError);
    } finally {
      await temp.remove();
    }
  });

  it('an upload with audiences is recorded under its name; one without lifts it; deleting the file removes the entry', async () => {
    const temp = await tempDir('audience-upload');
    try {
      const files = new DocumentFiles(temp.dir);
      const receive = async (text: string) => {
        const incoming = await files.incomingFile();
        await writeFile(incoming, text);
        return incoming;
      };
      const stored = await files.place(await receive('# Price sheet\n\nAt cost.\n'), 'prices.md', ['partners']);
      expect(stored).toBe('uploads/prices.md');
      expect(await new FolderAudiences(temp.dir).forFile(stored)).toEqual(['partners']);
      await files.place(await receive('# Price sheet\n\nPublic now.\n'), 'prices.md');
      expect(await new FolderAudiences(temp.dir).forFile(stored)).toBeUndefined();
      await files.place(await receive('# Price sheet\n\nAt cost.\n'), 'prices.md', ['agents']);
      await files.remove(stored);
      expect(await readFile(path.join(temp.dir, 'uploads', '.audiences.yaml'), 'utf8')).not.toContain('prices.md');
      // A folder default stays when the last file entry goes.
      await writeFile(path.join(temp.dir, 'uploads', '.audiences.yaml'), 'audiences: [agents]\n');
      await setFileAudiences(path.join(temp.dir, 'uploads'), 'other.md', ['partners']);
      await setFileAudiences(path.join(temp.dir, 'uploads'), 'other.md', undefined);
      expect(await new FolderAudiences(temp.dir).forFile('uploads/any.md')).toEqual(['agents']);
    } finally {
      await temp.remove();
    }
  });
});

describe('the answer cache key', () => {
  it('differs per audience set, and is unchanged for the public alone', () => {
    const cache = new AnswerCache(new MemoryState(), 60);
    const before = cache.key('Can I swim?', 'B', 'en', 7, 'r1');
    expect(cache.key('Can I swim?', 'B', 'en', 7, 'r1', ['public'])).toBe(before);
    const agents = cache.key('Can I swim?', 'B', 'en', 7, 'r1', ['public', 'agents']);
    expect(agents).not.toBe(before);
    expect(cache.key('Can I swim?', 'B', 'en', 7, 'r1', ['agents', 'public'])).toBe(agents);
    expect(cache.key('Can I swim?', 'B', 'en', 7, 'r1', ['agents'])).not.toBe(agents);
  });
});

describe('uploading a document for an audience', () => {
  it('POST /v1/admin/documents takes an audiences field (or query) and records it before the job ingests; a bad name is 400', async () => {
    const temp = await tempDir('audience-upload-route');
    try {
      const documents = new DocumentFiles(temp.dir);
      const jobs: KnowledgeServiceOptions['jobs'] = {
        // Runs the job's preparation (placing the file) as a real job does once it holds the lock.
        start: async (_kind, options) => {
          await options?.prepare?.();
          return { id: '00000000-0000-4000-8000-000000000002' } as Awaited<ReturnType<KnowledgeServiceOptions['jobs']['start']>>;
        },
        get: async () => undefined,
        list: async () => [],
        decide: async () => {
          throw new Error('no held job in this test');
        },
      };
      const app = express();
      const pass: express.RequestHandler = (_request, _response, next) => next();
      const knowledge = new KnowledgeService({ documents, jobs } as KnowledgeServiceOptions);
      app.use(adminRoutes({ guard: [pass], knowledge, state: new MemoryState(), maxUploadBytes: 1_000_000 } as unknown as AdminRouteOptions));
      app.use(errorHandler(createLogger('silent')));
      const upload = (name: string, fields: Record<string, string>, query = '') => {
        let call = request(app).post(`/v1/admin/documents${query}`);
        for (const [field, value] of Object.entries(fields)) call = call.field(field, value);
        return call.attach('file', Buffer.from('# Escalations\n\nCall the duty manager.\n'), name);
      };
      const placed = await upload('escalations.md', { audiences: 'agents' });
      expect(placed.status).toBe(202);
      expect(placed.body.document).toMatchObject({ path: 'uploads/escalations.md', audiences: ['agents'] });
      expect(await new FolderAudiences(temp.dir).forFile('uploads/escalations.md')).toEqual(['agents']);
      expect((await upload('prices.md', {}, '?audiences=partners,agents')).body.document.audiences).toEqual(['agents', 'partners']);
      const bad = await upload('bad.md', { audiences: 'Agents Only!' });
      expect(bad.status).toBe(400);
    } finally {
      await temp.remove();
    }
  });
});
