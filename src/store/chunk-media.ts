/**
 * What a chunk carries besides its text, kept in its `metadata` JSON (so tables written before these fields
 * existed read as they are: no images, no anchor) and never embedded as such (their text is: see run-ingestion).
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

/** The chunk fields of a row's metadata JSON; anything malformed is dropped rather than trusted. */
export function chunkMedia(metadata: string | undefined): ChunkMedia {
  if (!metadata) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object') return {};
  const { images, anchor } = parsed as { images?: unknown; anchor?: unknown };
  const media: ChunkMedia = {};
  if (typeof anchor === 'string' && anchor) media.anchor = anchor;
  if (Array.isArray(images)) {
    const refs = images.flatMap((image): ImageRef[] => {
      if (!image || typeof image !== 'object' || typeof (image as ImageRef).url !== 'string') return [];
      const { url, alt, caption } = image as Record<string, unknown>;
      return [{ url: url as string, ...(typeof alt === 'string' && alt ? { alt } : {}), ...(typeof caption === 'string' && caption ? { caption } : {}) }];
    });
    if (refs.length) media.images = refs;
  }
  return media;
}

/** The searchable words of images: alt text and captions, one line each. */
export function imageText(images: readonly ImageRef[] | undefined): string {
  return (images ?? [])
    .map((image) => [image.alt, image.caption].filter(Boolean).join(' — '))
    .filter(Boolean)
    .join('\n');
}
