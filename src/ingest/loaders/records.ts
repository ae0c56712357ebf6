import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { detectLanguage } from '../../text/language.js';
import { type LoadFailure, type LoadResult, type SourceDocument, UnreadableFileError } from '../document.js';
import { audiencesField, decodeText, publicUrl } from './text-content.js';

const language = z.enum(['zh', 'en']).optional().catch(undefined);

/** A FAQ sheet row: exactly one chunk, keeping its own id. */
const faqRecord = z.object({
  id: z.coerce.string().trim().min(1, 'id is empty'),
  question: z.string().trim().min(1, 'question is empty'),
  answer: z.string().trim().min(1, 'answer is empty'),
  product_line: z.string().trim().optional(),
  lang: language,
  // A URL column: the entry's public page, linked from citations.
  url: z.string().trim().optional(),
});

/** A line of an evaluation corpus: `{"id","title","text","lang"}`; anything else is kept as metadata. */
const corpusRecord = z
  .object({
    id: z.coerce.string().trim().min(1, 'id is empty'),
    title: z.string().optional(),
    text: z.string().trim().min(1, 'text is empty'),
    lang: language,
  })
  .passthrough();

function toDocument(record: Record<string, unknown>, relativePath: string): SourceDocument {
  const { audiences: audienceValue, ...fields } = record;
  const audiences = audiencesField(audienceValue);
  return { ...recordDocument(fields, relativePath), ...(audiences ? { audiences } : {}) };
}

function recordDocument(record: Record<string, unknown>, relativePath: string): SourceDocument {
  if ('question' in record || 'answer' in record) {
    const faq = faqRecord.parse(record);
    const url = publicUrl(faq.url);
    return {
      docId: faq.id,
      sourcePath: relativePath,
      title: faq.question,
      kind: 'faq',
      sections: [{ headingPath: [], text: `${faq.question}\n${faq.answer}` }],
      productLine: faq.product_line || undefined,
      lang: faq.lang ?? detectLanguage(faq.question),
      metadata: { question: faq.question, answer: faq.answer, ...(url ? { url } : {}) },
    };
  }
  const entry = corpusRecord.parse(record);
  const { id, title, text, lang, ...rest } = entry;
  return {
    docId: id,
    sourcePath: relativePath,
    title: title?.trim() || id,
    kind: 'passage',
    sections: [{ headingPath: [], text }],
    lang: lang ?? detectLanguage(text),
    productLine: typeof rest.product_line === 'string' ? rest.product_line : undefined,
    metadata: Object.keys(rest).length ? rest : undefined,
  };
}

const describe = (error: unknown) =>
  error instanceof z.ZodError ? error.issues.map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`).join('; ') : (error as Error).message;

function collect(rows: Iterable<[label: string, record: unknown]>, relativePath: string): LoadResult {
  const documents: SourceDocument[] = [];
  const failures: LoadFailure[] = [];
  const seen = new Set<string>();
  for (const [label, record] of rows) {
    try {
      if (record instanceof Error) throw record;
      if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new Error('not an object');
      const document = toDocument(record as Record<string, unknown>, relativePath);
      if (seen.has(document.docId)) throw new Error(`duplicate id "${document.docId}"`);
      seen.add(document.docId);
      documents.push(document);
    } catch (error) {
      failures.push({ path: `${relativePath}:${label}`, reason: describe(error) });
    }
  }
  if (documents.length === 0) throw new UnreadableFileError(failures.length ? `no valid records (${failures[0].reason})` : 'no records');
  return { documents, failures };
}

/**
 * CSV with a header row (id, question, answer, product_line[, lang]); a bad row is reported and skipped.
 * A malformed sheet (an unclosed quote swallows the rest of the file) is re-read line by line, so the rows
 * around the broken one still ingest; only rows whose quoted fields span lines are lost then, each reported.
 */
export function loadCsv(buffer: Buffer, relativePath: string): LoadResult {
  const text = decodeText(buffer);
  const options = { columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()), skip_empty_lines: true, relax_column_count: true, trim: true };
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, options);
  } catch (error) {
    return loadCsvLineByLine(text, relativePath, (error as Error).message);
  }
  const header = rows.length ? Object.keys(rows[0]) : [];
  const entries = rows.map((row, index): [string, unknown] => {
    const cells = Object.values(row).filter((value) => value !== undefined);
    return [`row ${index + 2}`, cells.length < header.length ? new Error('fewer columns than the header') : row];
  });
  return collect(entries, relativePath);
}

function loadCsvLineByLine(text: string, relativePath: string, reason: string): LoadResult {
  const lines = text.split(/\r?\n/);
  let header: string[];
  try {
    header = (parseCsv(lines[0] ?? '', { trim: true }) as string[][])[0]?.map((name) => name.trim().toLowerCase()) ?? [];
  } catch {
    throw new UnreadableFileError(`malformed CSV: ${reason}`);
  }
  if (!header.length) throw new UnreadableFileError(`malformed CSV: ${reason}`);
  const entries: [string, unknown][] = [];
  lines.slice(1).forEach((line, index) => {
    if (!line.trim()) return;
    const label = `line ${index + 2}`;
    try {
      const cells = (parseCsv(line, { trim: true, relax_column_count: true }) as string[][])[0] ?? [];
      entries.push([label, cells.length < header.length ? new Error('fewer columns than the header') : Object.fromEntries(header.map((name, column) => [name, cells[column]]))]);
    } catch (error) {
      entries.push([label, new Error(`malformed CSV row (${(error as Error).message.split('\n')[0]})`)]);
    }
  });
  return collect(entries, relativePath);
}

/** JSON Lines: each line a FAQ entry or a corpus document; a line that does not parse is reported and skipped. */
export function loadJsonLines(buffer: Buffer, relativePath: string): LoadResult {
  const lines = decodeText(buffer).split('\n');
  const entries: [string, unknown][] = [];
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    try {
      entries.push([`line ${index + 1}`, JSON.parse(line)]);
    } catch {
      entries.push([`line ${index + 1}`, new Error('invalid JSON')]);
    }
  });
  return collect(entries, relativePath);
}

/** A JSON array of records, or `{ "faqs": [...] }`. */
export function loadJson(buffer: Buffer, relativePath: string): LoadResult {
  let data: unknown;
  try {
    data = JSON.parse(decodeText(buffer));
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    throw new UnreadableFileError('invalid JSON');
  }
  const list = Array.isArray(data) ? data : (data as { faqs?: unknown })?.faqs;
  if (!Array.isArray(list)) throw new UnreadableFileError('expected a JSON array of records or {"faqs": [...]}');
  return collect(list.map((record, index): [string, unknown] => [`item ${index + 1}`, record]), relativePath);
}
