import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceUrls } from '../../src/answer/source-urls.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';

/** Cited sources carry their public page: the document's own URL (front matter, canonical link, FAQ column) or a CITATION_URLS template. */
let plain: Service;
let mapped: Service;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('citation-urls');
  cleanup = temp.remove;
  const base = await ingestSampleKnowledge(temp.dir, { CALIBRATION_ENABLED: 'false', ANSWER_CACHE: 'false', STATE_LOG_DIR: `${temp.dir}/state` });
  const embedders = await realEmbedders();
  plain = await buildService(base, createLogger('silent'), { embedders, chatModel: null });
  mapped = await buildService(loadConfig({ ...configToEnv(base), CITATION_URLS: JSON.stringify({ 'faq/': 'https://help.lumora.example/faq#{doc_id}', 'smart-home/': 'https://help.lumora.example/home/{stem}' }) }), createLogger('silent'), { embedders, chatModel: null });
}, 240_000);

afterAll(async () => {
  await plain?.close();
  await mapped?.close();
  await cleanup?.();
});

type Source = { path: string; docId: string; url?: string };
const sources = async (service: Service, question: string) => (await request(service.app).post('/v1/ask').set('content-type', 'application/json').send({ question })).body.sources as Source[];

describe('public pages of cited sources', () => {
  it("uses a manual's front-matter url, and nothing for documents without one when no template is set", async () => {
    const found = await sources(plain, 'What sensors and screen does the Pulse Band 3 have? Specifications of the band');
    const manual = found.find((source) => source.path === 'wearables/pulse-band-3-manual.en.md');
    // At the anchor of the heading the cited part sits under (docs/sources.md, "Section anchors").
    expect(manual?.url).toMatch(/^https:\/\/help\.lumora\.example\/en\/wearables\/pulse-band-3#[a-z0-9-]+$/);
    const ownPage = (path: string) => path.startsWith('wearables/pulse-band-3-manual') || path.startsWith('policies/product-comparison');
    expect(found.filter((source) => !ownPage(source.path)).every((source) => source.url === undefined)).toBe(true);
  });

  it('fills CITATION_URLS templates by the longest path prefix', async () => {
    const found = await sources(mapped, 'How do I reset the Glow bulb?');
    expect(found.some((source) => source.path.startsWith('faq/'))).toBe(true);
    // Every source: its FAQ template, its folder's template, or none (no template covers the other folders).
    for (const source of found) {
      const expected = source.path.startsWith('faq/')
        ? `https://help.lumora.example/faq#${encodeURIComponent(source.docId)}`
        : source.path.startsWith('smart-home/')
          ? // A Markdown or HTML manual's chunk under a heading adds its anchor to the template's address.
            expect.stringMatching(new RegExp(`^https://help\\.lumora\\.example/home/${source.path.slice('smart-home/'.length).replace(/\.[^./]+$/, '').replace(/\./g, '\\.')}(#[^#]+)?$`))
          : source.path.startsWith('wearables/pulse-band-3-manual')
            ? expect.stringMatching(/^https:\/\/help\.lumora\.example\/(en|zh)\/wearables\/pulse-band-3(#[^#]+)?$/)
            : source.path.startsWith('policies/product-comparison')
              ? expect.stringMatching(/^https:\/\/help\.lumora\.example\/(en|zh)\/compare(#[^#]+)?$/)
              : undefined;
      expect(source.url, source.path).toEqual(expected);
    }
  });

  it('rejects a CITATION_URLS setting that is not a map of http(s) templates', () => {
    expect(() => loadConfig({ CITATION_URLS: '["x"]' })).toThrow(/CITATION_URLS/);
    expect(() => loadConfig({ CITATION_URLS: '{"faq/": "javascript:alert(1)"}' })).toThrow(/CITATION_URLS/);
    expect(new SourceUrls({ '': 'https://h.example/{path}' }).url({ sourcePath: 'a b.md', docId: 'x' })).toBe('https://h.example/a%20b.md');
    expect(new SourceUrls().url({ sourcePath: 'x.md', docId: 'x', metadata: { url: 'javascript:alert(1)' } })).toBeUndefined();
  });
});
