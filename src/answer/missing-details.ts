import { readRulesFile } from '../config/rules-file.js';
import { z } from 'zod';
import type { Language } from '../text/language.js';

/**
 * Intents that need the customer's own data (order status, returns, warranty claims, delivery problems),
 * from knowledge/intents.yaml. A question showing such an intent but lacking details it needs gets an answer
 * that asks for exactly those details, in the customer's language, instead of a generic one: nobody can look
 * up "my order" without its number.
 */
const bilingual = z.object({ zh: z.string().min(1), en: z.string().min(1) });
const fileSchema = z.object({
  details: z.record(z.string().regex(/^[a-z_]+$/), z.object({ names: bilingual, patterns: z.array(z.string()).min(1) })),
  intents: z.array(z.object({ id: z.string().regex(/^[a-z_]+$/), names: bilingual, patterns: z.array(z.string()).min(1), needs: z.array(z.string()).min(1) })),
});

export interface DetailRequest {
  intent: string;
  /** Detail ids the question lacks, in the order the rules list them. */
  missing: string[];
  /** The request to the customer, in their language. */
  text: string;
}

export class MissingDetails {
  private readonly details: Map<string, { names: Record<Language, string>; patterns: RegExp[] }>;
  private readonly intents: { id: string; names: Record<Language, string>; patterns: RegExp[]; needs: string[] }[];

  constructor(rules: z.infer<typeof fileSchema>) {
    this.details = new Map(Object.entries(rules.details).map(([id, detail]) => [id, { names: detail.names, patterns: detail.patterns.map((pattern) => new RegExp(pattern, 'iu')) }]));
    this.intents = rules.intents.map((intent) => ({ ...intent, patterns: intent.patterns.map((pattern) => new RegExp(pattern, 'iu')) }));
  }

  static async load(file: string): Promise<MissingDetails> {
    // No file: no intent needs details.
    const rules = await readRulesFile(file, fileSchema, 'intent rules', { details: {}, intents: [] });
    for (const intent of rules.intents) {
      const unknown = intent.needs.filter((need) => !(need in rules.details));
      if (unknown.length) throw new Error(`Invalid intent rules in ${file}: intent "${intent.id}" needs undefined details ${unknown.join(', ')}`);
    }
    try {
      return new MissingDetails(rules);
    } catch (error) {
      throw new Error(`Invalid intent rules in ${file}: ${(error as Error).message}`);
    }
  }

  /**
   * The first intent the question shows whose details it (with the customer's earlier messages) lacks.
   * Undefined when no intent matches, or when every detail it needs is there.
   */
  check(question: string, lang: Language, earlier: string[] = []): DetailRequest | undefined {
    const intent = this.intents.find((candidate) => candidate.patterns.some((pattern) => pattern.test(question)));
    if (!intent) return undefined;
    const said = [question, ...earlier].join('\n');
    const missing = intent.needs.filter((need) => !this.details.get(need)!.patterns.some((pattern) => pattern.test(said)));
    if (!missing.length) return undefined;
    const names = missing.map((need) => this.details.get(need)!.names[lang]);
    const text =
      lang === 'zh'
        ? `为了帮您${intent.names.zh}，请提供：${names.join('、')}。`
        : `To ${intent.names.en}, please send us your ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]}.`;
    return { intent: intent.id, missing, text };
  }
}
