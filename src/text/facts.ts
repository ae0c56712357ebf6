import { splitSentences } from './sentences.js';
import { contentTerms } from './terms.js';

/**
 * Facts two passages can disagree on: a duration ("12 months", "保修24个月"), a price ("$99", "299元"), another
 * measured number ("5 ATM", "2000 mAh") and a yes/no ("can be worn swimming" / "不可以戴着游泳"). Near-duplicate
 * chunks (the same FAQ question twice, the same fact in two manuals) are compared clause by clause: clauses
 * about the same thing (sharing most of their content terms) whose facts differ are a contradiction. Cheap and
 * dictionary-free, like the rest of src/text: it runs on every near-duplicate pair at ingest.
 */
export type FactKind = 'duration' | 'price' | 'number' | 'yes-no';

export interface Quantity {
  kind: Exclude<FactKind, 'yes-no'>;
  /** What the value is comparable within: "time", a currency, a unit ("mah", "%"). */
  unit: string;
  /** In the unit's base (durations in hours, so "1 year" equals "12 months" equals "365 days" roughly: see DAYS). */
  value: number;
  /** The words as written. */
  text: string;
}

export interface Disagreement {
  kind: FactKind;
  /** The clause of each passage that states it. */
  a: string;
  b: string;
  /** What they disagree about: the content terms the two clauses share. */
  about: string[];
}

const CHINESE_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** 十二 → 12, 二十四 → 24, 两 → 2, 一百 → 100: the small numbers policies and manuals write in characters. */
export function chineseNumber(text: string): number | undefined {
  if (!text) return undefined;
  let total = 0;
  let digit: number | undefined;
  for (const char of text) {
    if (char in CHINESE_DIGITS) digit = CHINESE_DIGITS[char];
    else if (char === '十' || char === '百' || char === '千') {
      const scale = char === '十' ? 10 : char === '百' ? 100 : 1000;
      total += (digit ?? 1) * scale;
      digit = undefined;
    } else return undefined;
  }
  return total + (digit ?? 0);
}

// Durations to hours. A month is 30 days and a year 365: "12 months" and "1 year" then differ by 5 days, so
// durations compare within 3 % (a year is not a contradiction of twelve months).
const HOURS: [RegExp, number][] = [
  [/^(years?|yrs?|年)$/, 365 * 24],
  [/^(months?|mos?|个月|個月|月)$/, 30 * 24],
  [/^(weeks?|wks?|周|星期|个星期|礼拜)$/, 7 * 24],
  [/^(days?|天|日|个工作日|工作日|business days?|working days?)$/, 24],
  [/^(hours?|hrs?|h|小时|个小时|钟头)$/, 1],
  [/^(minutes?|mins?|分钟)$/, 1 / 60],
  [/^(seconds?|secs?|s|秒|秒钟)$/, 1 / 3600],
];
const CURRENCY_AFTER: Record<string, string> = {
  元: 'CNY',
  块: 'CNY',
  块钱: 'CNY',
  人民币: 'CNY',
  rmb: 'CNY',
  cny: 'CNY',
  yuan: 'CNY',
  usd: 'USD',
  dollars: 'USD',
  dollar: 'USD',
  美元: 'USD',
  eur: 'EUR',
  euros: 'EUR',
  欧元: 'EUR',
};
const CURRENCY_BEFORE: Record<string, string> = { '¥': 'CNY', '￥': 'CNY', rmb: 'CNY', cny: 'CNY', $: 'USD', us$: 'USD', usd: 'USD', '€': 'EUR', eur: 'EUR', '£': 'GBP' };
/** Units a number is only comparable with itself in: a percentage is not a count of metres. */
const OTHER_UNITS = /^(%|mah|ah|wh|kwh|w|kw|v|mm|cm|m|km|米|厘米|毫米|公里|kg|g|克|公斤|gb|mb|tb|ghz|mhz|hz|lm|lumens?|流明|atm|bar|°c|℃|°f|db|分贝|inch(?:es)?|英寸|寸|次|岁)$/;

const NUMBER = String.raw`(\d+(?:[.,]\d+)?|[零〇一二两三四五六七八九十百千]+)`;
// The spaces after a currency belong to it: an optional currency followed by an optional `\s*` tried every
// position of a run of spaces against the whole run, quadratic in its length (a padded chunk held ingestion).
const QUANTITY = new RegExp(
  String.raw`(?:(us\$|[¥￥$€£]|rmb|cny|usd|eur)\s*)?` +
    NUMBER +
    String.raw`\s*(?:-\s*)?(个工作日|工作日|business days?|working days?|个小时|个星期|个月|個月|块钱|人民币|[a-z]+|%|°c|°f|℃|[年月周天日秒元块米克寸岁次台个]|小时|星期|礼拜|分钟|钟头|美元|欧元|厘米|毫米|公里|公斤|流明|分贝|英寸)?`,
  'giu',
);

/** The quantities a clause states. A bare number with no unit (a step number, a model number) is no fact. */
export function quantities(clause: string): Quantity[] {
  const found: Quantity[] = [];
  for (const [raw, before, numberText, unitText] of clause.normalize('NFKC').toLowerCase().matchAll(QUANTITY)) {
    const quantity = quantityOf(raw, before, numberText, unitText);
    if (quantity) found.push(quantity);
  }
  return found;
}

/** The clause (normalised) without the quantities it states, in one pass (one replace per quantity was quadratic). */
function withoutQuantities(clause: string): string {
  return clause
    .normalize('NFKC')
    .toLowerCase()
    .replace(QUANTITY, (raw: string, before?: string, numberText?: string, unitText?: string) => (quantityOf(raw, before, numberText ?? '', unitText) ? ' ' : raw));
}

function quantityOf(raw: string, before: string | undefined, numberText: string, unitText: string | undefined): Quantity | undefined {
  const value = /\d/.test(numberText) ? Number(numberText.replace(',', '.')) : chineseNumber(numberText);
  if (value === undefined || Number.isNaN(value)) return undefined;
  const unit = unitText?.trim();
  const currency = (before && CURRENCY_BEFORE[before.trim()]) || (unit && CURRENCY_AFTER[unit]);
  if (currency) return { kind: 'price', unit: currency, value, text: raw.trim() };
  if (!unit) return undefined;
  const hours = HOURS.find(([pattern]) => pattern.test(unit));
  if (hours) return { kind: 'duration', unit: 'time', value: value * hours[1], text: raw.trim() };
  if (OTHER_UNITS.test(unit)) return { kind: 'number', unit, value, text: raw.trim() };
  return undefined;
}

const ENGLISH_NEGATION = /\b(not|no|never|cannot|can't|cant|don't|dont|doesn't|doesnt|isn't|isnt|aren't|arent|won't|wont|shouldn't|mustn't|without|unsupported)\b|n't\b/giu;
const CHINESE_NEGATION = /不|没|無|无|未|非|勿|别|禁止/gu;

/** Whether a clause says no: an odd number of negations ("not unsupported" is a yes). */
export function negated(clause: string): boolean {
  const text = clause.normalize('NFKC').toLowerCase();
  const count = (text.match(ENGLISH_NEGATION)?.length ?? 0) + (text.match(CHINESE_NEGATION)?.length ?? 0);
  return count % 2 === 1;
}

interface Clause {
  text: string;
  terms: Set<string>;
  quantities: Quantity[];
  negated: boolean;
  /** Terms were carried over from the clause before ("How long is the warranty? 12 months."). */
  borrowed: boolean;
  /** A question states nothing ("Can it add CarPlay?"): it only gives the next clause its subject. */
  question: boolean;
}

/** Clauses with their facts and what they are about (content terms, without the numbers and negations). */
export function clausesOf(text: string): Clause[] {
  const clauses: Clause[] = [];
  let previous: Set<string> | undefined;
  for (const sentence of splitSentences(text)) {
    const question = /[?？]\s*$/.test(sentence);
    // Not at colons: "Warranty: 12 months" is one statement.
    for (const part of sentence.split(/(?<=[，,；;、])/)) {
      const clause = part.trim();
      if (!clause) continue;
      const found = quantities(clause);
      const stripped = withoutQuantities(clause).replace(ENGLISH_NEGATION, ' ').replace(CHINESE_NEGATION, ' ').replace(/\d+/g, ' ');
      let terms = contentTerms(stripped);
      const borrowed = terms.size === 0 && previous !== undefined;
      if (borrowed) terms = previous!;
      clauses.push({ text: clause, terms, quantities: found, negated: negated(clause), borrowed, question });
      if (terms.size) previous = terms;
    }
  }
  return clauses;
}

function shared(a: Set<string>, b: Set<string>): string[] {
  const out: string[] = [];
  for (const term of a) if (b.has(term)) out.push(term);
  return out;
}

/** Share of the smaller clause's terms the other has too. */
const overlap = (common: number, a: Set<string>, b: Set<string>) => common / Math.max(1, Math.min(a.size, b.size));

const sameValue = (a: Quantity, b: Quantity) => (a.kind === 'duration' ? Math.abs(a.value - b.value) <= 0.03 * Math.max(a.value, b.value) : Math.abs(a.value - b.value) < 1e-9);

/**
 * Where two passages disagree: clauses about the same thing (half or more of the smaller clause's content terms
 * shared) that state different values of the same kind and unit, or the same statement once negated. A value
 * one clause states and the other also states somewhere about that thing is agreement, not a contradiction
 * ("12 months, or 1 year" against "12 months").
 */
export function disagreements(a: string, b: string): Disagreement[] {
  const left = clausesOf(a).filter((clause) => !clause.question);
  const right = clausesOf(b).filter((clause) => !clause.question);
  const found: Disagreement[] = [];
  const seen = new Set<string>();
  for (const x of left) {
    for (const y of right) {
      const common = shared(x.terms, y.terms);
      if (!common.length || overlap(common.length, x.terms, y.terms) < 0.5) continue;
      const about = common.sort();
      for (const p of x.quantities) {
        const rivals = y.quantities.filter((q) => q.kind === p.kind && q.unit === p.unit);
        if (!rivals.length || rivals.some((q) => sameValue(p, q))) continue;
        // Agreement elsewhere about the same thing (the other passage states this value too) is not a contradiction.
        const statedElsewhere = right.some((other) => other.quantities.some((q) => q.kind === p.kind && q.unit === p.unit && sameValue(p, q)) && shared(other.terms, x.terms).length > 0);
        if (statedElsewhere) continue;
        const key = `${p.kind}|${x.text}|${y.text}`;
        if (!seen.has(key)) found.push({ kind: p.kind, a: x.text, b: y.text, about });
        seen.add(key);
      }
      // Yes/no: the same statement (most terms shared, at least two, stated on both sides), once negated.
      if (x.negated !== y.negated && !x.borrowed && !y.borrowed && common.length >= 2 && overlap(common.length, x.terms, y.terms) >= 0.75) {
        const key = `yes-no|${x.text}|${y.text}`;
        if (!seen.has(key)) found.push({ kind: 'yes-no', a: x.text, b: y.text, about });
        seen.add(key);
      }
    }
  }
  return found;
}

// Words of document titles that name a kind of document, not a product.
const GENERIC_TITLE_WORDS = new Set(
  'manual user guide quick start setup installation install troubleshooting faq faqs policy policies warranty returns return refund shipping delivery privacy terms help support overview introduction notes release and the of for a an'.split(
    ' ',
  ),
);

/**
 * The product a document title names: its capitalised words and model numbers, without the words that name a
 * kind of document ("Pulse Band 3 Manual" → pulse, band, 3; "Warranty Policy" → none). Two manuals of different
 * products state different battery lives without contradicting each other.
 */
export function productNames(title: string): Set<string> {
  const names = new Set<string>();
  for (const [word] of title.normalize('NFKC').matchAll(/[A-Za-z][A-Za-z0-9-]*|\d+[A-Za-z0-9-]*/g)) {
    const lower = word.toLowerCase();
    if (GENERIC_TITLE_WORDS.has(lower)) continue;
    if (/^[A-Z0-9]/.test(word)) names.add(lower);
  }
  return names;
}

/** Whether two titles name different products (both name one, and not the same one). */
export function differentProducts(a: string, b: string): boolean {
  const left = productNames(a);
  const right = productNames(b);
  if (!left.size || !right.size) return false;
  return [...left].some((name) => !right.has(name)) && [...right].some((name) => !left.has(name));
}
