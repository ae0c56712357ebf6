import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { SourceDocument } from '../document.js';
import { UnreadableFileError } from '../document.js';
import { loadHtml } from '../loaders/html.js';
import { normalizeUrl } from './site.js';

export interface ExtractedPage {
  document: SourceDocument;
  /** The page's canonical URL (its own when it names none or one off the site). */
  canonical: string;
  /** Links in the whole page (navigation included: that is how a crawl finds pages). */
  links: string[];
  /** `<meta name="robots" content="noindex">`: the page asks not to be indexed. */
  noindex: boolean;
}

/**
 * A fetched page as a document: the main content picked by Mozilla Readability (navigation, footers, cookie
 * banners and sidebars dropped) over a linkedom DOM, then the HTML loader's heading sections on it. The page
 * URL (its canonical one) is the citation URL; `<html lang>` sets the language.
 */
export function extractPage(html: string, pageUrl: string, docId: (canonical: string) => { docId: string; sourcePath: string }, sameSite: (url: string) => boolean): ExtractedPage {
  const { document } = parseHTML(html);
  const canonicalHref = document.querySelector('link[rel="canonical"]')?.getAttribute('href');
  const canonicalCandidate = canonicalHref ? normalizeUrl(canonicalHref, pageUrl) : undefined;
  const canonical = canonicalCandidate && sameSite(canonicalCandidate) ? canonicalCandidate : (normalizeUrl(pageUrl) ?? pageUrl);
  const links = new Set<string>();
  for (const anchor of document.querySelectorAll('a[href]')) {
    if (/\bnofollow\b/i.test(anchor.getAttribute('rel') ?? '')) continue;
    const link = normalizeUrl(anchor.getAttribute('href') ?? '', pageUrl);
    if (link) links.add(link);
  }
  const robotsMeta = (document.querySelector('meta[name="robots"]')?.getAttribute('content') ?? '').toLowerCase();
  const lang = (document.documentElement?.getAttribute('lang') ?? '').trim().toLowerCase();
  const title = (document.querySelector('title')?.textContent ?? '').trim();
  // The article's own heading names it better than a <title> with the site's name appended.
  const heading = (document.querySelector('main h1, article h1') ?? document.querySelector('h1'))?.textContent?.replace(/\s+/g, ' ').trim();
  const productLine = document.querySelector('meta[name="product-line"]')?.getAttribute('content')?.trim();
  // Readability edits the DOM it reads; links and metadata were taken first.
  const article = new Readability(document as unknown as Document, { charThreshold: 100 }).parse();
  const content = article?.content ?? document.querySelector('main')?.innerHTML ?? document.body?.innerHTML ?? '';
  const pageTitle = heading || article?.title?.trim() || title;
  const ids = docId(canonical);
  const wrapped = `<html lang="${escapeAttribute(lang)}"><head><title>${escapeText(pageTitle)}</title></head><body>${content}</body></html>`;
  const [loaded] = loadHtml(Buffer.from(wrapped), ids.sourcePath, { baseUrl: pageUrl });
  if (!loaded) throw new UnreadableFileError('no text content');
  return {
    document: {
      ...loaded,
      docId: ids.docId,
      sourcePath: ids.sourcePath,
      title: pageTitle || loaded.title,
      productLine: productLine || undefined,
      lang: lang.startsWith('zh') ? 'zh' : lang.startsWith('en') ? 'en' : undefined,
      metadata: { url: canonical },
    },
    canonical,
    links: [...links],
    noindex: /\bnoindex\b/.test(robotsMeta),
  };
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const escapeAttribute = (text: string) => escapeText(text).replace(/"/g, '&quot;');
