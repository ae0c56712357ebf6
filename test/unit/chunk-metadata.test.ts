import { describe, expect, it } from 'vitest';
import { fromColumns, toColumns } from '../../src/store/chunk-columns.js';
import { chunkMedia, formatChunkMetadata, parseChunkMetadata } from '../../src/store/chunk-media.js';
import type { ChunkRow } from '../../src/store/knowledge-store.js';

describe("a chunk's metadata is parsed once, by the store, into a typed record", () => {
  it('reads the column as a record and writes it back as the same text', () => {
    const written = JSON.stringify({
      url: 'https://help.example.com/a',
      source: 'site',
      question: 'Q?',
      answer: 'A.',
      images: [{ url: 'https://help.example.com/a.png', alt: 'pic' }],
      anchor: 'set-up',
    });
    const metadata = parseChunkMetadata(written);
    expect(metadata.url).toBe('https://help.example.com/a');
    expect(metadata.question).toBe('Q?');
    expect(metadata.images).toEqual([{ url: 'https://help.example.com/a.png', alt: 'pic' }]);
    expect(metadata.source).toBe('site');
    expect(formatChunkMetadata(metadata)).toBe(written);
  });

  it('drops what does not have the type it claims, and reads text that is not a JSON object as no metadata', () => {
    for (const text of ['', 'not json', '[1,2]', 'null', '"text"', undefined]) expect(parseChunkMetadata(text)).toEqual({});
    const metadata = parseChunkMetadata(JSON.stringify({ question: 7, url: { href: 'x' }, anchor: '', images: [{ url: 1 }, 'x', { url: 'https://a.example/i.png', alt: '' }], kept: [1] }));
    expect(metadata).toEqual({ images: [{ url: 'https://a.example/i.png' }], kept: [1] });
    expect(chunkMedia(parseChunkMetadata(JSON.stringify({ images: 'nope', anchor: 3 })))).toEqual({});
  });

  it('keeps a "__proto__" key a field, never the prototype', () => {
    const metadata = parseChunkMetadata('{"__proto__":{"question":"injected"}}');
    expect(metadata.question).toBeUndefined();
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
  });

  it('maps the record to the column text and back at the table edge (chunk-columns.ts)', () => {
    const columns = toColumns({ id: 'a', docId: 'a', metadata: { question: 'Q?' } } as unknown as ChunkRow);
    expect(columns.metadata).toBe('{"question":"Q?"}');
    expect(fromColumns({ ...columns, doc_id: 'a' }).metadata).toEqual({ question: 'Q?' });
  });
});
