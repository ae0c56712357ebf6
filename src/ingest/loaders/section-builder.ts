import type { Section, TableBlock } from '../chunker.js';
import { tableText } from '../chunker.js';
import type { ImageRef } from '../../store/chunk-media.js';
import { imageText } from '../../store/chunk-media.js';

/**
 * Collects a document's sections as a loader walks it: text lines under the current heading path, tables as
 * sections of their own (same heading, so chunks never mix rows with prose), images with the place they stood.
 * Shared by the HTML and Markdown loaders so both cut sections, anchors and images the same way.
 */
export class SectionBuilder {
  readonly sections: Section[] = [];
  private readonly path: string[] = [];
  private anchor?: string;
  private lines: string[] = [];
  private images: (ImageRef & { at: number })[] = [];

  /** Starts a new heading at `level` (1–6); `anchor` is its id, when it has one. */
  heading(level: number, title: string, anchor?: string): void {
    this.flush();
    this.path.length = Math.min(this.path.length, level - 1);
    while (this.path.length < level - 1) this.path.push('');
    this.path[level - 1] = title;
    this.anchor = anchor;
  }

  line(text: string): void {
    this.lines.push(text);
  }

  /** Appends to the current line (HTML text nodes arrive in pieces). */
  append(text: string): void {
    if (!this.lines.length) this.lines.push('');
    this.lines[this.lines.length - 1] += text;
  }

  image(image: ImageRef): void {
    // Its place: after the lines begun so far (the current one included), measured once the text is cleaned.
    this.images.push({ ...image, at: this.lines.length });
  }

  table(table: TableBlock): void {
    this.flush();
    if (!table.rows.length) return;
    this.sections.push({ ...this.base(), text: tableText(table), table });
  }

  /** Closes the text collected so far into a section (whitespace collapsed per line, empty lines dropped). */
  flush(): void {
    const cleanLines = this.lines.map((line) => line.replace(/\s+/g, ' ').trim());
    // Offsets of each line start in the joined text, computed once: per image it would be quadratic on a page of
    // many images (a crawled page is hostile input).
    const offsets = [0];
    let length = 0;
    let kept = 0;
    for (const line of cleanLines) {
      if (line) {
        length += line.length;
        kept++;
      }
      offsets.push(kept ? length + kept - 1 : 0);
    }
    const images = this.images.map(({ at, ...image }) => ({ ...image, at: offsets[Math.min(at, cleanLines.length)] ?? 0 }));
    this.lines = [];
    this.images = [];
    // A section of images alone is searchable by their alt text and captions.
    const text = cleanLines.filter(Boolean).join('\n') || imageText(images);
    if (!text) return;
    this.sections.push({ ...this.base(), text, ...(images.length ? { images } : {}) });
  }

  private base(): Pick<Section, 'headingPath' | 'anchor'> {
    return { headingPath: this.path.filter(Boolean), ...(this.anchor ? { anchor: this.anchor } : {}) };
  }
}

/** An image or link target resolved against the document's address; only http(s) results are kept (no data:, javascript:). */
export function resolveUrl(href: string | undefined, base: string | undefined): string | undefined {
  const value = href?.trim();
  if (!value) return undefined;
  try {
    const url = base ? new URL(value, base) : new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GitHub's heading anchors (also GitLab's, Docusaurus's and VitePress's defaults): lower case, punctuation
 * dropped, spaces to hyphens, letters of any script kept; a repeated heading gets "-1", "-2".
 */
export function slugger(): (heading: string) => string {
  const seen = new Map<string, number>();
  return (heading) => {
    const base = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count ? `${base}-${count}` : base;
  };
}
