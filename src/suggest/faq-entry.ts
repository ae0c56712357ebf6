/** The FAQ entry an accepted suggestion becomes: one record of a FAQ sheet (JSON Lines), as knowledge/faq/ holds them. */
export interface FaqEntry {
  /** The document id it gets in the knowledge base. */
  docId: string;
  /** Its file name in the uploads folder. */
  fileName: string;
  content: string;
}

/**
 * One file per entry (`suggested-<id>.jsonl`, a sheet of one row): deleting it later is deleting a document, which a
 * shared sheet would refuse. The record is the loader's FAQ row (src/ingest/loaders/records.ts), so it is chunked,
 * embedded and cited like any FAQ entry.
 */
export function faqEntry(suggestionId: string, entry: { question: string; answer: string; lang: string; productLine?: string; audiences?: string[] }): FaqEntry {
  const short = suggestionId.replace(/-/g, '').slice(0, 12);
  // The row's own audiences (docs/audiences.md): an entry from an agent's question is ingested limited to them.
  const record = {
    id: `faq-suggested-${short}`,
    question: entry.question,
    answer: entry.answer,
    lang: entry.lang,
    ...(entry.productLine ? { product_line: entry.productLine } : {}),
    ...(entry.audiences?.length ? { audiences: entry.audiences } : {}),
  };
  return { docId: record.id, fileName: `suggested-${short}.jsonl`, content: `${JSON.stringify(record)}\n` };
}
