/**
 * What a chunk carries besides its text, kept in its `metadata` JSON column (so tables written before these
 * fields existed read as they are: no images, no anchor, no URL). The store parses that column once, as it reads
 * a row, into a ChunkMetadata whose known fields have the types they claim (anything malformed is dropped rather
 * than trusted); nothing outside src/store/ parses it again (lint/chunk-metadata.grit).
 */

/** An image in a page or document: its absolute URL, alt text and caption (a `<figcaption>`, a Markdown title). */
export interface ImageRef {
  url: string;
  alt?: string;
  caption?: string;
}

/** Metadata fields a chunk adds to its document's: the images of its part of the document, the heading's anchor. */
export interface ChunkMedia {
  images?: ImageRef[];
  /** The id of the heading the chunk sits under: its citation links to `url#anchor`. */
  anchor?: string;
}

/**
 * A chunk's metadata: its document's (a FAQ entry's question and answer, a page's own address, a corpus line's
 * other fields, a knowledge source's ids) and its own media. Never embedded or indexed as such.
 */
export interface ChunkMetadata extends ChunkMedia {
  /** A FAQ entry's question. */
  question?: string;
  /** A FAQ entry's answer. */
  answer?: string;
  /** The document's own public address (front matter `url`, a canonical link, a FAQ sheet's `url` column). */
  url?: string;
  /** Anything else a loader or knowledge source kept (corpus fields, `source`, `zendeskId`, …). */
  readonly [field: string]: unknown;
}

/** The `metadata` column's text as a record; not JSON, or not an object, is no metadata. */
export function parseChunkMetadata(json: string | null | undefined): ChunkMetadata {
  if (!json) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return {};
  }
  return chunkMetadata(parsed);
}

/** The record as the column's text: what every release has written. */
export const formatChunkMetadata = (metadata: ChunkMetadata | undefined): string => JSON.stringify(metadata ?? {});

/** Known fields and the only values they may hold; a value that fails its check is dropped. */
const KNOWN: Record<string, (value: unknown) => unknown> = {
  question: (value) => (typeof value === 'string' ? value : undefined),
  answer: (value) => (typeof value === 'string' ? value : undefined),
  url: (value) => (typeof value === 'string' ? value : undefined),
  anchor: (value) => (typeof value === 'string' && value ? value : undefined),
  images: (value) => {
    const refs = Array.isArray(value) ? value.flatMap(imageRef) : [];
    return refs.length ? refs : undefined;
  },
};

/**
 * Any value as a ChunkMetadata: the known fields kept only with their own types, other fields as they are, in
 * their order (written back, a well-formed record is the same text).
 */
export function chunkMetadata(value: unknown): ChunkMetadata {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  // fromEntries defines own properties: a `__proto__` key in the JSON stays a field, never the prototype.
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, field]) => {
      const kept = Object.hasOwn(KNOWN, key) ? KNOWN[key](field) : field;
      return kept === undefined ? [] : [[key, kept]];
    }),
  ) as ChunkMetadata;
}

function imageRef(image: unknown): ImageRef[] {
  if (!image || typeof image !== 'object' || typeof (image as ImageRef).url !== 'string') return [];
  const { url, alt, caption } = image as Record<string, unknown>;
  return [{ url: url as string, ...(typeof alt === 'string' && alt ? { alt } : {}), ...(typeof caption === 'string' && caption ? { caption } : {}) }];
}

/** The chunk's media fields (its images and anchor) of its metadata. */
export function chunkMedia(metadata: ChunkMetadata | undefined): ChunkMedia {
  const { images, anchor } = chunkMetadata(metadata);
  return { ...(images ? { images } : {}), ...(anchor ? { anchor } : {}) };
}

/** The searchable words of images: alt text and captions, one line each. */
export function imageText(images: readonly ImageRef[] | undefined): string {
  return (images ?? [])
    .map((image) => [image.alt, image.caption].filter(Boolean).join(' — '))
    .filter(Boolean)
    .join('\n');
}
