import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { DocumentFiles } from '../../src/ingest/document-files.js';
import { LockHeldError } from '../../src/ingest/lock.js';
import { fetchOnce, FetchRefusedError, parseFetchAllow, refusedAddress, retryAfterSeconds } from '../../src/ingest/sources/safe-fetch.js';
import { normalizeUrl, parseRobots, parseSitemap, SiteScope } from '../../src/ingest/sources/site.js';
import { loadSources, scheduleMs, SourceRegistry, sourceOfPath } from '../../src/ingest/sources/source-config.js';
import { SourceSyncs } from '../../src/ingest/sources/source-syncs.js';
import type { IngestJobRecord } from '../../src/ingest/jobs.js';
import { MemoryState } from '../../src/state/shared-state.js';

describe('the fetcher is not an open proxy', () => {
  const none = parseFetchAllow('');
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254'])(
    'refuses %s',
    (address) => {
      expect(refusedAddress(address, none)).toMatch(/not a public address/);
    },
  );
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (address) => {
    expect(refusedAddress(address, none)).toBeUndefined();
  });
  it('allows what SOURCE_FETCH_ALLOW names: addresses and ranges', () => {
    const policy = parseFetchAllow('127.0.0.1, 10.0.0.0/8, help.internal');
    expect(refusedAddress('127.0.0.1', policy)).toBeUndefined();
    expect(refusedAddress('10.9.9.9', policy)).toBeUndefined();
    expect(refusedAddress('127.0.0.2', policy)).toMatch(/not a public/);
    expect(policy.hosts.has('help.internal')).toBe(true);
  });
  it('refuses literal private addresses, metadata endpoints and URLs with credentials before connecting', async () => {
    const options = { policy: none, userAgent: 'KefuBot/0.1', timeoutMs: 1000, maxBytes: 1000 };
    await expect(fetchOnce('http://169.254.169.254/latest/meta-data/', options)).rejects.toBeInstanceOf(FetchRefusedError);
    await expect(fetchOnce('http://[::1]:9/', options)).rejects.toBeInstanceOf(FetchRefusedError);
    await expect(fetchOnce('http://user:pw@example.com/', options)).rejects.toBeInstanceOf(FetchRefusedError);
    await expect(fetchOnce('file:///etc/passwd', options)).rejects.toBeInstanceOf(FetchRefusedError);
    // A name is judged by what it resolves to, when the socket connects.
    await expect(fetchOnce('http://localhost:9/', options)).rejects.toThrow(/not a public address/);
  });
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterSeconds('5')).toBe(5);
    expect(retryAfterSeconds(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10);
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });
});

describe('site rules', () => {
  it('scopes to the start hosts and the include/exclude patterns (prefixes and globs)', () => {
    const scope = new SiteScope({ startUrls: ['https://help.example.com/hc/'], include: ['/hc/en-us/', '/hc/zh-cn/**/articles/*'], exclude: ['/hc/en-us/community'] });
    expect(scope.contains('https://help.example.com/hc/en-us/articles/1')).toBe(true);
    expect(scope.contains('https://help.example.com/hc/zh-cn/x/y/articles/2')).toBe(true);
    expect(scope.contains('https://help.example.com/hc/zh-cn/x/y/articles/2/comments')).toBe(false);
    expect(scope.contains('https://help.example.com/hc/en-us/community/posts')).toBe(false);
    expect(scope.contains('https://evil.example.com/hc/en-us/articles/1')).toBe(false);
    expect(scope.contains('javascript:alert(1)')).toBe(false);
    expect(normalizeUrl('/a#b', 'https://H.example.com:443/x')).toBe('https://h.example.com/a');
  });
  it('obeys robots.txt for our own user agent, with the longest match winning', () => {
    const robots = parseRobots(
      'https://s.example/robots.txt',
      'User-agent: *\nDisallow: /\n\nUser-agent: KefuBot\nDisallow: /private/\nAllow: /private/faq\nCrawl-delay: 2\nSitemap: https://s.example/sm.xml\n',
      'KefuBot/0.1 (+x)',
    );
    expect(robots.isAllowed('https://s.example/docs/a')).toBe(true);
    expect(robots.isAllowed('https://s.example/private/a')).toBe(false);
    expect(robots.isAllowed('https://s.example/private/faq/1')).toBe(true);
    expect(robots.crawlDelaySeconds).toBe(2);
    expect(robots.sitemaps).toEqual(['https://s.example/sm.xml']);
    expect(parseRobots('https://s.example/robots.txt', 'User-agent: *\nDisallow: /\n', 'KefuBot/0.1').isAllowed('https://s.example/a')).toBe(false);
  });
  it('reads sitemaps and sitemap indexes (CDATA, entities, lastmod) and keeps only maxUrls', () => {
    const index = parseSitemap('<?xml version="1.0"?><sitemapindex><sitemap><loc>https://s.example/a.xml.gz</loc><lastmod>2026-01-01</lastmod></sitemap></sitemapindex>', 10);
    expect(index.sitemaps).toEqual([{ url: 'https://s.example/a.xml.gz', lastmod: '2026-01-01' }]);
    const set = parseSitemap(
      '<urlset><url><loc><![CDATA[https://s.example/p?a=1&b=2]]></loc></url><url>\n<loc> https://s.example/q?a=1&amp;b=2 </loc><lastmod>2026-02-02</lastmod></url><url><loc>https://s.example/r</loc></url></urlset>',
      2,
    );
    expect(set.urls).toEqual([
      { url: 'https://s.example/p?a=1&b=2', lastmod: undefined },
      { url: 'https://s.example/q?a=1&b=2', lastmod: '2026-02-02' },
    ]);
    expect(set.dropped).toBe(1);
  });
});

describe('sources as configuration', () => {
  it('defaults to the knowledge folder, validates the file, and keeps the admin API changes in it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-sources-'));
    try {
      const file = path.join(dir, 'sources.yaml');
      expect(await loadSources(file)).toEqual([expect.objectContaining({ id: 'knowledge', type: 'folder' })]);
      await writeFile(
        file,
        'sources:\n  - id: site\n    type: website\n    startUrls: [https://help.example.com/]\n    schedule: 6h\n  - id: site\n    type: website\n    startUrls: [https://x.example/]\n',
      );
      await expect(loadSources(file)).rejects.toThrow(/duplicate source id "site"/);
      await writeFile(file, 'sources:\n  - id: site\n    type: website\n    startUrls: [https://help.example.com/]\n    schedule: 6h\n    limits: { maxPages: 10 }\n');
      const [, site] = await loadSources(file);
      expect(site).toMatchObject({ id: 'site', schedule: '6h', limits: { maxPages: 10, maxRedirects: 5 } });
      expect(scheduleMs(site)).toBe(6 * 3_600_000);
      const registry = new SourceRegistry(file);
      await registry.create({ id: 'zd', type: 'zendesk', baseUrl: 'https://acme.zendesk.com', locales: ['en-us', 'zh-cn'] });
      await registry.update('site', { enabled: false });
      expect((await loadSources(file)).map((source) => `${source.id}:${source.enabled}`)).toEqual(['knowledge:true', 'site:false', 'zd:true']);
      await registry.remove('zd');
      expect(await readFile(file, 'utf8')).not.toContain('zendesk');
      await expect(registry.update('site', { id: 'other' })).rejects.toThrow(/keeps its id/);
      expect(sourceOfPath('source:site/https://help.example.com/a')).toBe('site');
      expect(sourceOfPath('policies/returns.en.md')).toBe('knowledge');
      // DELETE /v1/admin/documents/:docId cannot delete a web page: there is no file behind it.
      expect(() => new DocumentFiles(dir).resolve('source:site/https://help.example.com/a')).toThrow(expect.objectContaining({ kind: 'conflict', code: 'document_from_source' }));
      expect(new DocumentFiles(dir).resolve('policies/returns.en.md')).toBe(path.join(dir, 'policies/returns.en.md'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('schedules', () => {
  it('starts a due source once across replicas: the lease serialises them and the second finds it no longer due', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-schedule-'));
    try {
      const file = path.join(dir, 'sources.yaml');
      await writeFile(file, 'sources:\n  - id: site\n    type: website\n    startUrls: [https://help.example.com/]\n    schedule: 30m\n');
      const state = new MemoryState();
      let now = Date.UTC(2026, 0, 1);
      // The ingestion lease as the jobs take it: one holder at a time; `prepare` runs under it.
      let held = false;
      const started: string[] = [];
      const jobs = {
        start: async (kind: string, details: { prepare?: () => Promise<void>; sources?: string[] }) => {
          if (held) throw new LockHeldError('held', undefined);
          held = true;
          try {
            await details.prepare?.();
          } catch (error) {
            held = false;
            throw error;
          }
          started.push(`${kind}:${details.sources?.join(',')}`);
          setTimeout(() => (held = false), 20);
          return { id: String(started.length) } as IngestJobRecord;
        },
      };
      const replica = () => new SourceSyncs({ registry: new SourceRegistry(file), jobs, state, logger: createLogger('silent'), now: () => now });
      const [a, b] = [replica(), replica()];
      await Promise.all([a.tick(), b.tick()]);
      await new Promise((resolve) => setTimeout(resolve, 40));
      await Promise.all([a.tick(), b.tick()]);
      expect(started).toEqual(['sync:site']);
      now += 31 * 60_000;
      await b.tick();
      expect(started).toEqual(['sync:site', 'sync:site']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
