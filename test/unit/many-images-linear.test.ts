import { afterEach, describe, expect, it, vi } from 'vitest';
import { chunkSections } from '../../src/ingest/chunker.js';
import { loadHtml } from '../../src/ingest/loaders/html.js';

const countTokens = (text: string) => (text.match(/[A-Za-z0-9]+|[^\s\w]/g) ?? []).length;

/**
 * A crawled page is hostile input: one with thousands of images must cost work in proportion to its size, not to
 * images × lines. Measured as array elements visited by join/slice/findIndex and copied by spreads (deterministic,
 * unlike a clock), against a budget linear in the page.
 */
function elementsVisited(run: () => void): number {
  let visited = 0;
  const count = (name: 'join' | 'slice' | 'findIndex') => {
    const original = Array.prototype[name] as (...args: unknown[]) => unknown;
    vi.spyOn(Array.prototype, name).mockImplementation(function (this: unknown[], ...args: unknown[]) {
      visited += this.length;
      return original.apply(this, args);
    } as never);
  };
  count('join');
  count('slice');
  count('findIndex');
  try {
    run();
  } finally {
    vi.restoreAllMocks();
  }
  return visited;
}

afterEach(() => vi.restoreAllMocks());

describe('a page of many images', () => {
  const images = 3000;
  const html = `<html><body><h1>Gallery</h1>${Array.from({ length: images }, (_, index) => `<p>Step ${index} of the set-up.</p><img src="/i/${index}.png" alt="step ${index}">`).join('')}</body></html>`;

  it('places its images in work linear in the page, in the loader and the chunker', () => {
    let chunks: ReturnType<typeof chunkSections> = [];
    const visited = elementsVisited(() => {
      const [document] = loadHtml(Buffer.from(html), 'gallery.html', { baseUrl: 'https://help.example.com/gallery' });
      chunks = chunkSections(document?.sections ?? [], { maxTokens: 40, overlapTokens: 0, countTokens });
    });
    // Every image kept, each with the chunk holding the text before it.
    expect(chunks.flatMap((chunk) => chunk.images ?? [])).toHaveLength(images);
    const holder = chunks.find((chunk) => chunk.images?.some((image) => image.alt === 'step 1500'));
    expect(holder?.text).toContain('Step 1500 of the set-up.');
    expect(visited).toBeLessThan(200 * images);
  });
});
