import type { ChunkMetadata, ImageRef } from '../store/chunk-media.js';

/** At most this many images per cited source: an answer is not a gallery. */
const MAX_IMAGES = 4;

/**
 * Public addresses for cited documents. A document's own (markdown front matter `url`, an HTML page's canonical
 * link, a `url` column in a FAQ sheet) comes first; otherwise CITATION_URLS maps path prefixes of the knowledge
 * folder to URL templates: `{"faq/": "https://help.example.com/faq#{doc_id}", "": "https://help.example.com/{stem}"}`.
 * The longest matching prefix wins; `{path}` is the path below the prefix, `{stem}` the same without its extension,
 * `{doc_id}` the document id. Without either, a citation names its source but links nowhere.
 */
export class SourceUrls {
  private readonly rules: { prefix: string; template: string }[];
  private readonly imageOrigins: ReadonlySet<string>;

  /** `map`: the CITATION_URLS setting, validated by the config (http(s) templates only); `imageOrigins`: SOURCE_IMAGE_ORIGINS (comma-separated origins). */
  constructor(map: Record<string, string> = {}, imageOrigins = '') {
    this.rules = Object.entries(map)
      .map(([prefix, template]) => ({ prefix, template }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
    this.imageOrigins = new Set(imageOrigins.split(',').flatMap((entry) => originOf(entry.trim()) ?? []));
  }

  /** The chunk's address: its document's, with `#anchor` when the chunk sits under a heading that has one and the address has no fragment yet. */
  url(source: { sourcePath: string; docId: string; metadata?: ChunkMetadata }): string | undefined {
    const page = this.pageUrl(source);
    const anchor = source.metadata?.anchor;
    return page && anchor && !page.includes('#') ? `${page}#${encodeURIComponent(anchor)}` : page;
  }

  /**
   * The chunk's images an answer may show: http(s) only (never data: or javascript:), from the cited page's own
   * origin or an allowed one, so a page cannot make the widget load images from anywhere it likes.
   */
  images(source: { metadata?: ChunkMetadata }, url: string | undefined): ImageRef[] {
    const own = url ? originOf(url) : undefined;
    return (source.metadata?.images ?? [])
      .filter((image) => {
        const origin = /^https?:\/\//i.test(image.url) ? originOf(image.url) : undefined;
        return origin !== undefined && (origin === own || this.imageOrigins.has(origin));
      })
      .slice(0, MAX_IMAGES);
  }

  private pageUrl(source: { sourcePath: string; docId: string; metadata?: ChunkMetadata }): string | undefined {
    const own = source.metadata?.url;
    if (own && /^https?:\/\//.test(own)) return own;
    const rule = this.rules.find((entry) => source.sourcePath.startsWith(entry.prefix));
    if (!rule) return undefined;
    const rest = source.sourcePath.slice(rule.prefix.length);
    return rule.template
      .replaceAll('{path}', encodeURI(rest))
      .replaceAll('{stem}', encodeURI(rest.replace(/\.[^./]+$/, '')))
      .replaceAll('{doc_id}', encodeURIComponent(source.docId));
  }
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
