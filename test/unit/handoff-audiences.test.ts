import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { Handoffs } from '../../src/handoff/handoffs.js';
import type { ApiKey } from '../../src/http/access.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { handoffRoutes } from '../../src/http/handoff-routes.js';
import { suggestionRoutes } from '../../src/http/suggestion-routes.js';
import { GapReporter } from '../../src/insights/gaps.js';
import { createLogger } from '../../src/log.js';
import type { RetrievalResult } from '../../src/retrieve/hybrid-retriever.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { SuggestionStore } from '../../src/suggest/suggestion-store.js';
import { Suggestions } from '../../src/suggest/suggestions.js';
import { tempDir } from '../support/real-stack.js';

/**
 * A handoff opened with an agent-assist key: the agent's question, and the answer support records, may name internal
 * things. Its resolution becomes a suggestion limited to the agents, and accepting it (as a curated answer or a FAQ
 * entry) never makes a public answer of it; a customer's handoff still becomes a public one.
 */
const embedder: Embedder = {
  modelKey: 'flat',
  dimension: 2,
  maxEmbeddingsPerCall: 16,
  countTokens: (text) => text.length,
  embedPassages: async (texts) => texts.map(() => Float32Array.of(1, 0)),
  embedQuery: async () => Float32Array.of(1, 0),
};
const keys: Record<string, ApiKey> = {
  agent: { id: 'agent-desk', sha256: 'x', scopes: ['widget'], origins: [], audiences: ['agents', 'public'] },
  customer: { id: 'shop', sha256: 'y', scopes: ['widget'], origins: [] },
  admin: { id: 'reviewer', sha256: 'z', scopes: ['admin'], origins: [] },
};
/** Stands in for the key check: the `x-key` header names which of the keys above asks. */
const as: RequestHandler = (request, _response, next) => {
  request.apiKey = keys[request.header('x-key') ?? 'customer'];
  next();
};

const temp = await tempDir('handoff-audiences');
afterAll(() => temp.remove());
const state = new MemoryState();
const curatedCreated: Record<string, unknown>[] = [];
const incoming: string[] = [];
const suggestions = new Suggestions({
  store: new SuggestionStore(state),
  gaps: new GapReporter(embedder, { similarity: 0.75 }),
  logs: state,
  retriever: { retrieve: async () => ({ candidates: [] }) as unknown as RetrievalResult },
  curated: {
    create: async (entry) => {
      curatedCreated.push(entry as Record<string, unknown>);
      return { id: `c-${curatedCreated.length}` } as never;
    },
  },
  documents: {
    incomingFile: async () => {
      incoming.push(path.join(temp.dir, `incoming-${incoming.length}.jsonl`));
      return incoming.at(-1)!;
    },
    place: async (file) => file,
  },
  jobs: { start: async (_kind, options) => (await options?.prepare?.(), { id: 'job-1' }) as never },
  maxDraftTokens: 100,
});
const handoffs = new Handoffs(state, createLogger('silent'), {});
const app = express();
app.use(handoffRoutes({ handoffs, publicGuards: [as, express.json()], adminGuard: [as, express.json()], isKnownLine: () => true }));
app.use(suggestionRoutes({ guard: [as, express.json()], suggestions, handoffs, state }));
app.use(errorHandler(createLogger('silent')));

async function resolvedHandoff(key: string, question: string) {
  const opened = await request(app).post('/v1/handoff').set('x-key', key).send({ name: 'Li Lei', email: 'li@example.cn', question, consent: true, lang: 'en' });
  expect(opened.status, opened.text).toBe(201);
  const resolved = await request(app).post(`/v1/admin/handoffs/${opened.body.id}/resolution`).set('x-key', 'admin').send({ answer: 'Partners get the 40% staff discount code PARTNER40.' });
  expect(resolved.status, resolved.text).toBe(201);
  return { handoffId: opened.body.id as string, suggestion: resolved.body.suggestion };
}

describe('a handoff opened with an agent-assist key', () => {
  it('records the audiences of the key that opened it, for support and in the analytics copy; a customer’s records none', async () => {
    const agent = await resolvedHandoff('agent', 'What discount do partners get?');
    const customer = await resolvedHandoff('customer', 'Do you ship to Spain?');
    const support = (await request(app).get('/v1/admin/handoffs').set('x-key', 'admin')).body.handoffs;
    expect(support.find((entry: { id: string }) => entry.id === agent.handoffId).audiences).toEqual(['agents', 'public']);
    expect(support.find((entry: { id: string }) => entry.id === customer.handoffId).audiences).toBeUndefined();
    const analytics = (await request(app).get('/v1/admin/handoffs?view=analytics').set('x-key', 'admin')).body.handoffs;
    expect(analytics.find((entry: { id: string }) => entry.id === agent.handoffId).audiences).toEqual(['agents', 'public']);
  });

  it('is resolved into a suggestion for the agents only, which accepted as a curated answer or a FAQ entry stays the agents’', async () => {
    const asCurated = await resolvedHandoff('agent', 'Which discount code do partners use?');
    expect(asCurated.suggestion).toMatchObject({ audiences: ['agents'], internal: true });
    const accepted = await request(app).post(`/v1/admin/suggestions/${asCurated.suggestion.id}/accept`).set('x-key', 'admin').send({ as: 'curated' });
    expect(accepted.status, accepted.text).toBe(200);
    expect(curatedCreated.at(-1)).toMatchObject({ audiences: ['agents'] });

    const asFaq = await resolvedHandoff('agent', 'How much is the partner discount?');
    const faq = await request(app).post(`/v1/admin/suggestions/${asFaq.suggestion.id}/accept`).set('x-key', 'admin').send({ as: 'faq' });
    expect(faq.status, faq.text).toBe(202);
    expect(JSON.parse(await readFile(incoming.at(-1)!, 'utf8'))).toMatchObject({ audiences: ['agents'] });
  });

  it('leaves a customer’s handoff a public suggestion, as before', async () => {
    const { suggestion } = await resolvedHandoff('customer', 'Can I pay by bank transfer?');
    expect(suggestion.audiences).toBeUndefined();
    await request(app).post(`/v1/admin/suggestions/${suggestion.id}/accept`).set('x-key', 'admin').send({ as: 'curated' });
    expect(curatedCreated.at(-1)?.audiences).toBeUndefined();
  });
});
