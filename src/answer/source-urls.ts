/**
 * Public addresses for cited documents. A document's own (markdown front matter `url`, an HTML page's canonical
 * link, a `url` column in a FAQ sheet) comes first; otherwise CITATION_URLS maps path prefixes of the knowledge
 * folder to URL templates: `{"faq/": "https://help.example.com/faq#{doc_id}", "": "https://help.example.com/{stem}"}`.
 * The longest matching prefix wins; `{path}` is the path below the prefix, `{stem}` the same without its extension,
 * `{doc_id}` the document id. Without either, a citation names its source but links nowhere.
 */
export class SourceUrls {
  private readonly rules: { prefix: string; template: string }[];

  /** `map`: the CITATION_URLS setting, validated by the config (http(s) templates only). */
  constructor(map: Record<string, string> = {}) {
    this.rules = Object.entries(map)
      .map(([prefix, template]) => ({ prefix, template }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  url(source: { sourcePath: string; docId: string; metadata?: string }): string | undefined {
    if (source.metadata) {
      try {
        const own = (JSON.parse(source.metadata) as { url?: unknown }).url;
        if (typeof own === 'string' && /^https?:\/\//.test(own)) return own;
      } catch {
        // Not JSON: no address of its own.
      }
    }
    const rule = this.rules.find((entry) => source.sourcePath.startsWith(entry.prefix));
    if (!rule) return undefined;
    const rest = source.sourcePath.slice(rule.prefix.length);
    return rule.template
      .replaceAll('{path}', encodeURI(rest))
      .replaceAll('{stem}', encodeURI(rest.replace(/\.[^./]+$/, '')))
      .replaceAll('{doc_id}', encodeURIComponent(source.docId));
  }
}
