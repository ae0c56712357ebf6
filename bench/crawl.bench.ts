/**
 * `npm run bench:crawl [-- --runs 3]`: the website fetcher against the local help centre generated from the
 * sample knowledge base (test/support/help-centre-site.ts: 191 articles and FAQ pages, sitemap index, robots.txt, ETags,
 * print views canonical to their articles). Three numbers, each the median of the runs:
 *
 * - cold crawl: no snapshot; every page downloaded, extracted (Readability over linkedom) and hashed;
 * - unchanged re-sync with sitemap lastmod: pages not even asked;
 * - unchanged re-sync through ETags alone (the sitemap without lastmod): every page asked, all 304.
 *
 * Pages/s, requests and bytes on the wire for each; the re-syncs are also given as a ratio to the cold crawl
 * of the same run, which holds on a shared machine. No embedding (bench:ingest measures that); the crawl
 * is what a sync adds. Prints a table and one JSON line.
 */
import type { Server } from 'node:http';
import { crawlWebsite } from '../src/ingest/sources/crawl-website.js';
import { parseFetchAllow } from '../src/ingest/sources/safe-fetch.js';
import type { SourceSnapshot, SourceSyncReport } from '../src/ingest/sources/snapshot.js';
import { sourceSpec, type WebsiteSource } from '../src/ingest/sources/source-config.js';
import { HelpCentreSite } from '../test/support/help-centre-site.js';
import { listenLocal } from '../test/support/listen.js';
import { percentile, round } from './stats.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const site = new HelpCentreSite('knowledge');
let server: Server;
({ server, base: site.base } = await listenLocal(site.handler));
const context = { policy: parseFetchAllow('127.0.0.1'), userAgent: 'KefuBot/0.1 (bench)' };
const source = sourceSpec.parse({ id: 'bench', type: 'website', startUrls: [`${site.base}/`], limits: { delayMs: 0, concurrency: 4 } }) as WebsiteSource;

type Sample = { seconds: number; report: SourceSyncReport };
const measure = async (previous: () => SourceSnapshot | undefined, keep?: (snapshot: SourceSnapshot) => void): Promise<Sample> => {
  const started = performance.now();
  const { snapshot, report } = await crawlWebsite(source, previous(), context);
  keep?.(snapshot);
  return { seconds: (performance.now() - started) / 1000, report };
};
const row = (name: string, samples: Sample[], reference?: number) => {
  const seconds = percentile(
    samples.map((sample) => sample.seconds),
    50,
  );
  const report = samples[0].report;
  return {
    name,
    seconds: Math.round(seconds * 1000) / 1000,
    pagesPerSecond: round(report.pages / seconds),
    pages: report.pages,
    downloaded: report.pagesFetched,
    notModified: report.pagesNotModified,
    skippedByLastmod: report.pagesSkipped,
    requests: report.requests,
    bytes: report.bytes,
    ...(reference ? { timeVsCold: Math.round((seconds / reference) * 1000) / 1000 } : {}),
  };
};

try {
  let snapshot: SourceSnapshot | undefined;
  const cold: Sample[] = [];
  const lastmod: Sample[] = [];
  const etags: Sample[] = [];
  // Interleaved, so a neighbour's load on the shared machine falls on all three alike.
  for (let run = 0; run < runs; run++) {
    cold.push(
      await measure(
        () => undefined,
        (kept) => (snapshot = kept),
      ),
    );
    lastmod.push(await measure(() => snapshot));
    site.sitemapLastmod = false;
    etags.push(await measure(() => snapshot));
    site.sitemapLastmod = true;
  }
  const coldRow = row('cold crawl', cold);
  const rows = [coldRow, row('unchanged re-sync (sitemap lastmod)', lastmod, coldRow.seconds), row('unchanged re-sync (ETag, 304)', etags, coldRow.seconds)];
  console.table(rows);
  console.log(JSON.stringify({ bench: 'crawl', runs, rows }));
} finally {
  server.close();
}
