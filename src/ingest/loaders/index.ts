import type { LoadResult } from '../document.js';
import { loadHtml } from './html.js';
import { loadMarkdown } from './markdown.js';
import { loadPdf } from './pdf.js';
import { loadPlainText } from './plain-text.js';
import { loadCsv, loadJson, loadJsonLines } from './records.js';

type Loader = (buffer: Buffer, relativePath: string) => LoadResult | Promise<LoadResult>;

const wrap =
  (load: (buffer: Buffer, relativePath: string) => ReturnType<typeof loadMarkdown> | Promise<ReturnType<typeof loadMarkdown>>): Loader =>
  async (buffer, relativePath) => ({ documents: await load(buffer, relativePath), failures: [] });

/** Loaders by file extension; a file with any other extension is listed as ignored, not failed. */
export const LOADERS: Record<string, Loader> = {
  '.md': wrap(loadMarkdown),
  '.markdown': wrap(loadMarkdown),
  '.html': wrap(loadHtml),
  '.htm': wrap(loadHtml),
  '.txt': wrap(loadPlainText),
  '.pdf': wrap(loadPdf),
  '.csv': loadCsv,
  '.jsonl': loadJsonLines,
  '.json': loadJson,
};
