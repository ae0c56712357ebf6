import { readRulesFile } from '../config/rules-file.js';
import { z } from 'zod';
import { normalizeForMatch } from '../text/language.js';

const bilingual = z.object({ zh: z.string(), en: z.string() });
const suggestionList = z.array(z.string().min(1).max(200)).max(8).default([]);
const suggestions = z.object({ zh: suggestionList, en: suggestionList }).default({ zh: [], en: [] });
const lineSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  names: bilingual,
  description: bilingual,
  folders: z.array(z.string()).default([]),
  /** Product names weigh more than topic keywords: "Glow" says line A far more surely than "light". */
  products: z.array(z.string()).default([]),
  keywords: z.object({ zh: z.array(z.string()).default([]), en: z.array(z.string()).default([]) }),
  patterns: z.array(z.string()).default([]),
  /** Questions the widget suggests when a conversation starts on this line's pages, per language. */
  suggestions,
});
const fileSchema = z.object({
  lines: z.array(lineSchema).min(1),
  general: z.object({
    id: z.string(),
    names: bilingual,
    folders: z.array(z.string()).default([]),
    /** Suggested on pages not tied to one line. */
    suggestions,
  }),
  /** Natural-language rules that go into the prompt verbatim, one set per language. */
  rules: bilingual,
});

export type ProductLine = z.infer<typeof lineSchema>;
export type ProductLineRules = z.infer<typeof fileSchema>;
export const UNKNOWN_LINE = 'unknown';

export interface Classification {
  /** A line id, or "unknown" when no line wins clearly. */
  productLine: string;
  /** Keywords and product names that matched, for explanations and debugging. */
  matched: string[];
  scores: Record<string, number>;
}

export async function loadProductLineRules(file: string): Promise<ProductLineRules> {
  const rules = await readRulesFile(file, fileSchema, 'product-line rules');
  for (const line of rules.lines) for (const pattern of line.patterns) new RegExp(pattern, 'iu');
  return rules;
}

/**
 * Keyword classifier over the rules file. Scores each line by matches (product names 3, keywords 1,
 * patterns 2) and picks the top one only when it beats the runner-up; ties and no evidence give "unknown".
 */
export class ProductLineClassifier {
  private readonly compiled: { id: string; terms: { term: string; weight: number; matches: (normalized: string) => boolean }[]; patterns: RegExp[] }[];

  constructor(readonly rules: ProductLineRules) {
    this.compiled = rules.lines.map((line) => ({
      id: line.id,
      terms: [...line.products.map((term) => ({ term, weight: 3 })), ...[...line.keywords.zh, ...line.keywords.en].map((term) => ({ term, weight: 1 }))]
        .map(({ term, weight }) => ({ term: normalizeForMatch(term), weight }))
        .filter(({ term }) => term)
        .map(({ term, weight }) => ({ term, weight, matches: termMatcher(term) })),
      patterns: line.patterns.map((pattern) => new RegExp(pattern, 'iu')),
    }));
  }

  get lineIds(): string[] {
    return this.rules.lines.map((line) => line.id);
  }

  isKnownLine(id: string): boolean {
    return id === this.rules.general.id || this.lineIds.includes(id);
  }

  classify(text: string): Classification {
    const normalized = normalizeForMatch(text);
    const scores: Record<string, number> = {};
    const matched: string[] = [];
    for (const line of this.compiled) {
      let score = 0;
      for (const { term, weight, matches } of line.terms) {
        if (matches(normalized)) {
          score += weight;
          matched.push(term);
        }
      }
      for (const pattern of line.patterns) {
        if (pattern.test(text)) {
          score += 2;
          matched.push(pattern.source);
        }
      }
      scores[line.id] = score;
    }
    const ranked = Object.entries(scores).sort((a, b) => b[1] - a[1]);
    const [best, second] = ranked;
    const productLine = best && best[1] > 0 && (!second || best[1] > second[1]) ? best[0] : UNKNOWN_LINE;
    return { productLine, matched, scores };
  }

  /** The line a file belongs to from its folder names, if the rules name that folder. */
  lineForPath(relativePath: string): string | undefined {
    const folders = relativePath.split('/').slice(0, -1).map((folder) => folder.toLowerCase());
    for (const line of this.rules.lines) if (line.folders.some((folder) => folders.includes(folder.toLowerCase()))) return line.id;
    if (this.rules.general.folders.some((folder) => folders.includes(folder.toLowerCase()))) return this.rules.general.id;
    return undefined;
  }
}

/**
 * Latin terms match on word boundaries ("car" must not match "card"); CJK terms match as substrings.
 * Built once per term with the rules, not once per question.
 */
function termMatcher(term: string): (text: string) => boolean {
  if (/^[\p{Script=Latin}\d\s-]+$/u.test(term)) {
    const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`(^|[^\\p{L}\\d])${escaped}(s|es)?($|[^\\p{L}\\d])`, 'u');
    return (text) => pattern.test(text);
  }
  return (text) => text.includes(term);
}
