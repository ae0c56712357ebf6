import type { Source } from './api.js';

/** At most this many images under one answer, however many sources it cites. */
const MAX_SHOWN = 4;

/**
 * The cited sources' images under an answer: lazy-loaded, bounded in size by the stylesheet (`.source-images`),
 * with their alt text and caption. The server already keeps only images from the source page's own origin or an
 * allowed one; the widget still takes http(s) URLs alone (never javascript: or data:) and sends no referrer.
 */
export function sourceImages(sources: readonly Source[]): HTMLElement | null {
  const seen = new Set<string>();
  const block = document.createElement('div');
  block.className = 'source-images';
  for (const source of sources) {
    for (const image of source.images ?? []) {
      const url = httpUrl(image.url);
      if (!url || seen.has(url) || seen.size >= MAX_SHOWN) continue;
      seen.add(url);
      const figure = document.createElement('figure');
      const img = document.createElement('img');
      img.src = url;
      img.alt = image.alt ?? image.caption ?? '';
      img.loading = 'lazy';
      img.decoding = 'async';
      img.referrerPolicy = 'no-referrer';
      // A broken image takes no room and shows no broken-image icon.
      img.addEventListener('error', () => figure.remove());
      figure.append(img);
      if (image.caption) {
        const caption = document.createElement('figcaption');
        caption.textContent = image.caption;
        figure.append(caption);
      }
      block.append(figure);
    }
  }
  return seen.size ? block : null;
}

function httpUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}
