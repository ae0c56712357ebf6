import { createHash } from 'node:crypto';
import type { SourceDocument } from '../document.js';
import { extractPage } from './extract-page.js';
import { createAgents, type FetchedResponse, type FetchOptions, type FetchPolicy, fetchOnce, retryAfterSeconds } from './safe-fetch.js';
import { ALLOW_ALL, normalizeUrl, parseRobots, parseSitemap, type Robots, SiteScope, sitemapText } from './site.js';
import { sourcePathPrefix, type WebsiteSource } from './source-config.js';
import type { SnapshotPage, SourceSnapshot, SourceSyncReport } from './snapshot.js';

/** A whole-source failure: the sync stops, the previous snapshot (and knowledge version) stays. */
export class SourceSyncError extends Error {
  override name = 'SourceSyncError';
}

export interface CrawlContext {
  policy: FetchPolicy;
  userAgent: string;
  /** Pages done so far (for the job's progress). */
  onPage?: (done: number, known: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const HTML_TYPES = /^(text\/html|application\/xhtml\+xml)\b/i;
const MAX_REPORTED_FAILURES = 100;
const MAX_SITEMAP_FILES = 1000;

/**
 * One sync of a website source: robots.txt, sitemaps, then the pages (start URLs, sitemap URLs and, with
 * followLinks, the links found), each fetched conditionally against the previous snapshot (If-None-Match,
 * If-Modified-Since, or skipped when the sitemap's lastmod has not moved), so an unchanged site costs 304s and
 * no embedding. Pages that answer 404/410, leave the sitemap and are linked from nowhere, or become disallowed,
 * are dropped; a page that fails (5xx, timeout, too large, not HTML) keeps its previous version. A sync that
 * cannot be trusted as a whole (robots.txt unreachable or blocking the start, every start URL refused, a
 * storm of failures) throws SourceSyncError and the previous snapshot stays.
 */
export async function crawlWebsite(source: WebsiteSource, previous: SourceSnapshot | undefined, context: CrawlContext): Promise<{ snapshot: SourceSnapshot; report: SourceSyncReport }> {
  const started = performance.now();
  const limits = source.limits;
  const scope = new SiteScope(source);
  const agents = createAgents(limits.concurrency);
  const sleep = context.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const report: SourceSyncReport = emptyReport(source.id, 'website');
  const failures = report.failures;
  const fail = (url: string, reason: string) => {
    report.pagesFailed++;
    if (failures.length < MAX_REPORTED_FAILURES) failures.push({ url, reason });
  };
  const credentials = undefined;
  const base: Omit<FetchOptions, 'maxBytes'> = { policy: context.policy, userAgent: context.userAgent, timeoutMs: limits.timeoutMs, agents, credentials };
  // Politeness: requests to one host at most `concurrency` at once (the pool) and `delayMs` apart.
  const nextSlot = new Map<string, number>();
  const polite = async (url: string, delayMs: number) => {
    const host = new URL(url).host;
    const now = Date.now();
    const at = Math.max(now, nextSlot.get(host) ?? 0);
    nextSlot.set(host, at + delayMs);
    if (at > now) await sleep(at - now);
  };
  let delayMs = limits.delayMs;
  const request = async (url: string, maxBytes: number, headers?: Record<string, string>): Promise<FetchedResponse> => {
    if (report.bytes >= limits.maxBytes) throw new BudgetError(`the sync's byte budget (${limits.maxBytes}) is spent`);
    await polite(url, delayMs);
    report.requests++;
    const response = await fetchOnce(url, { ...base, maxBytes: Math.min(maxBytes, limits.maxBytes - report.bytes), headers });
    report.bytes += response.wireBytes;
    return response;
  };

  try {
    // robots.txt, once per host of the site.
    const robotsByHost = new Map<string, Robots>();
    for (const start of source.startUrls) {
      const origin = new URL(start).origin;
      if (robotsByHost.has(origin)) continue;
      robotsByHost.set(origin, await fetchRobots(origin, request, context.userAgent, limits.maxRedirects));
    }
    const robotsFor = (url: string) => robotsByHost.get(new URL(url).origin) ?? ALLOW_ALL;
    const crawlDelay = Math.max(...[...robotsByHost.values()].map((robots) => robots.crawlDelaySeconds ?? 0));
    if (crawlDelay > 0) delayMs = Math.max(delayMs, Math.min(crawlDelay, 10) * 1000);
    const allowedStarts = source.startUrls.filter((url) => robotsFor(url).isAllowed(url)).map((url) => normalizeUrl(url) ?? url);
    if (allowedStarts.length === 0) throw new SourceSyncError(`robots.txt disallows ${source.startUrls.join(', ')} for our user agent (${context.userAgent.split('/')[0]})`);

    // Sitemaps: configured, else named in robots.txt, else /sitemap.xml.
    const sitemapLastmod = new Map<string, string | undefined>();
    let sitemapsComplete = true;
    // An explicit empty list means "no sitemap": only the start URLs (and their links).
    const configured = source.sitemaps ?? [...new Set([...robotsByHost.values()].flatMap((robots) => robots.sitemaps))].filter((url) => sameHost(url, source));
    const sitemapQueue = (configured.length || source.sitemaps ? configured : [...robotsByHost.keys()].map((origin) => `${origin}/sitemap.xml`)).map((url) => ({
      url,
      explicit: configured.length > 0,
    }));
    const seenSitemaps = new Set<string>();
    while (sitemapQueue.length) {
      const { url, explicit } = sitemapQueue.shift()!;
      if (seenSitemaps.has(url)) continue;
      seenSitemaps.add(url);
      if (seenSitemaps.size > MAX_SITEMAP_FILES) {
        report.warnings.push(`more than ${MAX_SITEMAP_FILES} sitemap files: the rest were not read`);
        sitemapsComplete = false;
        break;
      }
      try {
        const response = await followRedirects(
          url,
          (target) => request(target, limits.maxSitemapBytes),
          limits.maxRedirects,
          (target) => sameHost(target, source),
        );
        if (response.status === 404 && !explicit) continue;
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        const parsed = parseSitemap(sitemapText(response.body, limits.maxSitemapBytes), limits.maxSitemapUrls - sitemapLastmod.size);
        for (const child of parsed.sitemaps) if (sameHost(child.url, source)) sitemapQueue.push({ url: child.url, explicit: true });
        for (const entry of parsed.urls) {
          const normal = normalizeUrl(entry.url);
          if (normal && scope.contains(normal)) sitemapLastmod.set(normal, entry.lastmod);
        }
        if (parsed.dropped) {
          sitemapsComplete = false;
          report.warnings.push(`${url} lists ${parsed.dropped} more URLs than the limit (maxSitemapUrls ${limits.maxSitemapUrls}): they were not crawled`);
        }
      } catch (error) {
        if (error instanceof BudgetError) throw error;
        sitemapsComplete = false;
        report.warnings.push(`sitemap ${url}: ${(error as Error).message}`);
      }
    }

    // Pages.
    const previousByUrl = new Map<string, SnapshotPage>();
    for (const page of Object.values(previous?.pages ?? {})) {
      previousByUrl.set(page.url, page);
      previousByUrl.set(page.fetchedUrl, page);
    }
    const pages = new Map<string, SnapshotPage>();
    const aliases: NonNullable<SourceSnapshot['aliases']> = {};
    const previousAliases = previous?.aliases ?? {};
    const kept = new Set<string>();
    const gone = new Set<string>();
    const queued = new Set<string>();
    const queue: { url: string; depth: number }[] = [];
    const enqueue = (url: string | undefined, depth: number) => {
      if (!url || queued.has(url) || !scope.contains(url)) return;
      queued.add(url);
      queue.push({ url, depth });
    };
    for (const url of allowedStarts) enqueue(url, 0);
    for (const url of sitemapLastmod.keys()) enqueue(url, 0);
    let stoppedEarly = false;
    let successes = 0;
    let startFailures = 0;
    let done = 0;

    const visit = async ({ url, depth }: { url: string; depth: number }) => {
      const alias = previousByUrl.has(url) ? undefined : previousAliases[url];
      const before = previousByUrl.get(url);
      const follow = (links: string[]) => {
        if (source.followLinks && depth < limits.maxDepth) for (const link of links) enqueue(link, depth + 1);
      };
      if (!robotsFor(url).isAllowed(url)) {
        if (before) gone.add(before.url);
        return;
      }
      // Another address of a page we track under its own URL (a print view, a tracking query): it says the
      // same by its canonical link, so it is not asked again while that page exists.
      if (alias && previousByUrl.has(alias.canonical)) {
        aliases[url] = alias;
        report.pagesSkipped++;
        enqueue(alias.canonical, depth);
        return;
      }
      const lastmod = sitemapLastmod.get(url);
      // The sitemap says the page has not changed since we fetched it: no request at all.
      if (before && lastmod && before.lastmod === lastmod && !pages.has(before.url)) {
        pages.set(before.url, before);
        report.pagesSkipped++;
        successes++;
        follow(before.links);
        return;
      }
      const validators = before ?? alias;
      const conditional: Record<string, string> = {};
      if (validators?.etag) conditional['if-none-match'] = validators.etag;
      if (validators?.lastModified) conditional['if-modified-since'] = validators.lastModified;
      let response: FetchedResponse;
      try {
        response = await withRetryAfter(
          () =>
            followRedirects(
              url,
              (target, hop) => request(target, limits.maxPageBytes, hop === 0 ? { accept: 'text/html,application/xhtml+xml', ...conditional } : { accept: 'text/html,application/xhtml+xml' }),
              limits.maxRedirects,
              (target) => scope.contains(target) && robotsFor(target).isAllowed(target),
            ),
          limits.maxRetryAfterSeconds,
          sleep,
        );
      } catch (error) {
        if (error instanceof BudgetError) throw error;
        if (error instanceof OutOfScopeRedirect) {
          // Moved off the site (or somewhere robots.txt forbids): no longer this source's page.
          if (before) gone.add(before.url);
          return;
        }
        fail(url, (error as Error).message);
        if (before) kept.add(before.url);
        if (depth === 0 && allowedStarts.includes(url)) startFailures++;
        return;
      }
      const finalUrl = normalizeUrl(response.url) ?? url;
      if (finalUrl !== url) {
        if (queued.has(finalUrl) && finalUrl !== url) {
          // Reached through a redirect, and queued anyway: visit it once, under its own address.
          return;
        }
        queued.add(finalUrl);
      }
      if (response.status === 304 && alias && !before) {
        // Another address of a page we have: unchanged, so nothing to read (the page itself is visited under its own URL).
        aliases[url] = alias;
        report.pagesNotModified++;
        successes++;
        const page = previousByUrl.get(alias.canonical);
        if (page) {
          follow(page.links);
          enqueue(page.url, depth);
        }
        return;
      }
      if (response.status === 304 && before) {
        pages.set(before.url, { ...before, lastmod: lastmod ?? before.lastmod });
        report.pagesNotModified++;
        successes++;
        follow(before.links);
        return;
      }
      if (response.status === 404 || response.status === 410) {
        if (before) gone.add(before.url);
        if (allowedStarts.includes(url)) startFailures++;
        return;
      }
      if (response.status !== 200) {
        fail(url, `HTTP ${response.status}`);
        if (before) kept.add(before.url);
        if (allowedStarts.includes(url)) startFailures++;
        return;
      }
      const type = String(response.headers['content-type'] ?? '');
      if (!HTML_TYPES.test(type)) {
        fail(url, `not HTML (${type.split(';')[0] || 'no content type'})`);
        if (before) kept.add(before.url);
        return;
      }
      report.pagesFetched++;
      successes++;
      try {
        const extracted = extractPage(
          decodeHtml(response),
          finalUrl,
          (canonical) => ({ docId: canonical, sourcePath: `${sourcePathPrefix(source.id)}${canonical}` }),
          (candidate) => scope.contains(candidate),
        );
        follow(extracted.links);
        if (extracted.noindex) {
          if (before) gone.add(before.url);
          return;
        }
        if (extracted.canonical !== finalUrl) {
          aliases[finalUrl] = { canonical: extracted.canonical, etag: header(response, 'etag'), lastModified: header(response, 'last-modified') };
        }
        if (pages.has(extracted.canonical)) {
          report.duplicates++;
          return;
        }
        const document: SourceDocument = {
          ...extracted.document,
          productLine: source.productLine ?? extracted.document.productLine,
          metadata: { ...extracted.document.metadata, source: source.id },
        };
        const contentHash = hashOf(document);
        const earlier = previousByUrl.get(extracted.canonical);
        if (!earlier) report.pagesAdded++;
        else if (earlier.contentHash !== contentHash) report.pagesChanged++;
        pages.set(extracted.canonical, {
          url: extracted.canonical,
          fetchedUrl: finalUrl,
          etag: header(response, 'etag'),
          lastModified: header(response, 'last-modified'),
          lastmod: lastmod,
          contentHash,
          links: extracted.links.filter((link) => scope.contains(link)),
          document,
        });
      } catch (error) {
        fail(url, `could not extract the page: ${(error as Error).message}`);
        if (before) kept.add(before.url);
      }
    };

    // A pool of `concurrency` workers over the queue (which grows as pages are read).
    let active = 0;
    const workers = Array.from({ length: limits.concurrency }, async () => {
      for (;;) {
        if (report.pagesFailed >= limits.maxFailures && report.pagesFailed > successes) {
          throw new SourceSyncError(`stopped after ${report.pagesFailed} failed pages (${successes} succeeded): ${summarize(failures)}`);
        }
        const next = queue.shift();
        if (!next) {
          if (active === 0) return;
          await sleep(5);
          continue;
        }
        // Pages being read count too: with several workers, the limit must not be overshot by the ones in flight.
        if (pages.size + active >= limits.maxPages) {
          if (!stoppedEarly) report.warnings.push(`stopped at the page limit (maxPages ${limits.maxPages})`);
          stoppedEarly = true;
          queue.length = 0;
          continue;
        }
        active++;
        try {
          await visit(next);
        } finally {
          active--;
          done++;
          context.onPage?.(done, queued.size);
        }
      }
    });
    try {
      await Promise.all(workers);
    } catch (error) {
      if (!(error instanceof BudgetError)) throw error;
      stoppedEarly = true;
      report.warnings.push(error.message);
    }
    if (startFailures === allowedStarts.length && successes === 0) {
      throw new SourceSyncError(`every start URL failed: ${summarize(failures) || 'not found'}`);
    }

    // What the previous sync had and this one did not reach stays when this sync could not see the whole site.
    const complete = sitemapsComplete && !stoppedEarly;
    const next: Record<string, SnapshotPage> = Object.fromEntries(pages);
    for (const page of Object.values(previous?.pages ?? {})) {
      if (next[page.url] || gone.has(page.url)) continue;
      if (kept.has(page.url) || !complete) next[page.url] = page;
    }
    report.pagesRemoved = Object.keys(previous?.pages ?? {}).filter((url) => !next[url]).length;
    report.pages = Object.keys(next).length;
    report.state = report.pagesFailed ? 'partial' : 'succeeded';
    report.seconds = round((performance.now() - started) / 1000);
    return { snapshot: { sourceId: source.id, type: 'website', syncedAt: new Date().toISOString(), pages: next, aliases }, report };
  } catch (error) {
    report.seconds = round((performance.now() - started) / 1000);
    if (error instanceof SourceSyncError) throw Object.assign(error, { report });
    throw Object.assign(new SourceSyncError((error as Error).message), { report });
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
}

class BudgetError extends Error {}
class OutOfScopeRedirect extends Error {}

async function fetchRobots(
  origin: string,
  request: (url: string, maxBytes: number, headers?: Record<string, string>) => Promise<FetchedResponse>,
  userAgent: string,
  maxRedirects: number,
): Promise<Robots> {
  const url = `${origin}/robots.txt`;
  let response: FetchedResponse;
  try {
    response = await followRedirects(
      url,
      (target) => request(target, 512 * 1024),
      maxRedirects,
      () => true,
    );
  } catch (error) {
    throw new SourceSyncError(`robots.txt could not be read (${(error as Error).message}): the site is treated as disallowed`);
  }
  if (response.status >= 200 && response.status < 300) return parseRobots(response.url, response.body.toString('utf8'), userAgent);
  // RFC 9309 §2.3.1.3: "unavailable" (4xx) allows everything; "unreachable" (5xx) means disallow.
  if (response.status >= 400 && response.status < 500 && response.status !== 429) return ALLOW_ALL;
  throw new SourceSyncError(`robots.txt answered HTTP ${response.status}: the site is treated as disallowed until it can be read`);
}

/** Follows redirects one hop at a time, each target checked by `allowed` (scope, robots), with loop and hop limits. */
async function followRedirects(url: string, get: (target: string, hop: number) => Promise<FetchedResponse>, maxRedirects: number, allowed: (target: string) => boolean): Promise<FetchedResponse> {
  const seen = new Set<string>([url]);
  let target = url;
  for (let hop = 0; ; hop++) {
    const response = await get(target, hop);
    if (![301, 302, 303, 307, 308].includes(response.status)) return response;
    const location = header(response, 'location');
    const next = location ? normalizeUrl(location, target) : undefined;
    if (!next) throw new Error(`HTTP ${response.status} without a usable Location`);
    if (seen.has(next)) throw new Error(`redirect loop (${[...seen, next].join(' → ')})`);
    if (hop + 1 > maxRedirects) throw new Error(`more than ${maxRedirects} redirects`);
    if (!allowed(next)) throw new OutOfScopeRedirect(`redirects out of scope to ${next}`);
    seen.add(next);
    target = next;
  }
}

/** 429 and 503 with a Retry-After the limit accepts: wait, then try again (twice at most). */
export async function withRetryAfter(run: () => Promise<FetchedResponse>, maxSeconds: number, sleep: (ms: number) => Promise<void>): Promise<FetchedResponse> {
  for (let attempt = 0; ; attempt++) {
    const response = await run();
    if ((response.status !== 429 && response.status !== 503) || attempt >= 2) return response;
    const wait = retryAfterSeconds(response.headers['retry-after']);
    if (wait === undefined || wait > maxSeconds) return response;
    await sleep(wait * 1000);
  }
}

function decodeHtml(response: FetchedResponse): string {
  const charset =
    /charset=([\w-]+)/i.exec(String(response.headers['content-type'] ?? ''))?.[1] ?? /<meta[^>]+charset=["']?([\w-]+)/i.exec(response.body.subarray(0, 2048).toString('latin1'))?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset.toLowerCase()).decode(response.body);
  } catch {
    return response.body.toString('utf8');
  }
}

const header = (response: FetchedResponse, name: string) => {
  const value = response.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
};
const sameHost = (url: string, source: WebsiteSource) => {
  try {
    const host = new URL(url).host.toLowerCase();
    return source.startUrls.some((start) => new URL(start).host.toLowerCase() === host);
  } catch {
    return false;
  }
};
const hashOf = (document: SourceDocument) =>
  createHash('sha256')
    .update(JSON.stringify([document.title, document.sections, document.lang ?? null, document.productLine ?? null, document.metadata ?? null]))
    .digest('hex');
const summarize = (failures: { url: string; reason: string }[]) => {
  const reasons = new Map<string, number>();
  for (const failure of failures) reasons.set(failure.reason, (reasons.get(failure.reason) ?? 0) + 1);
  return [...reasons]
    .slice(0, 3)
    .map(([reason, count]) => `${count}× ${reason}`)
    .join('; ');
};
const round = (value: number) => Math.round(value * 100) / 100;

export function emptyReport(id: string, type: SourceSyncReport['type']): SourceSyncReport {
  return {
    id,
    type,
    state: 'failed',
    pages: 0,
    pagesFetched: 0,
    pagesNotModified: 0,
    pagesSkipped: 0,
    pagesAdded: 0,
    pagesChanged: 0,
    pagesRemoved: 0,
    pagesFailed: 0,
    duplicates: 0,
    requests: 0,
    bytes: 0,
    seconds: 0,
    failures: [],
    warnings: [],
  };
}
