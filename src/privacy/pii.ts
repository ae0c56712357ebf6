/**
 * Masks personal data in customer text before anything is stored: refused questions, feedback comments,
 * answer records, sessions, logs. Customers paste emails, phone numbers, order numbers, card and ID
 * numbers into support questions; none of it helps the knowledge-gaps report, all of it is a liability.
 *
 * Each pattern is a single pass with no nested quantifiers (linear time on any input), applied most
 * specific first so a card number is not half-masked as a phone number. Masks keep the kind of data
 * (`[email]`, `[phone]`), so a reviewer still reads "my order [order] never arrived".
 */

interface Rule {
  kind: string;
  pattern: RegExp;
  /** Extra check on a match (Luhn for cards); a match that fails it stays. */
  accept?: (match: string) => boolean;
  /** The pattern's first group is a keyword to keep ("order #"), its second the value to mask. */
  keepPrefix?: boolean;
}

const digitsOf = (text: string) => text.replace(/\D/g, '');

function luhn(number: string): boolean {
  let sum = 0;
  for (let index = 0; index < number.length; index++) {
    let digit = Number(number[number.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

const RULES: Rule[] = [
  // Starts only at the start of a token and every part is bounded: a long run of letters with no "@" is
  // scanned once, not once per starting position.
  { kind: 'email', pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g },
  // Order, tracking and invoice numbers named as such: "order #A1234-56", "订单号：20231101884", "运单号 SF1234567890".
  // The keyword stays; bounded gaps keep the pattern linear.
  {
    kind: 'order',
    pattern: /((?:order|tracking|invoice|shipment|ticket|case|rma)(?:[ \t]{0,3}(?:number|no\.?|id|#))?[ \t]{0,3}[:#：]?[ \t]{0,3}|(?:订单|单号|运单|快递单|物流单|工单|发票)号?码?[ \t]{0,3}(?:是|为)?[ \t]{0,3}[:：#]?[ \t]{0,3})([A-Za-z0-9][A-Za-z0-9-]{3,39})/gi,
    accept: (match) => /\d/.test(match),
    keepPrefix: true,
  },
  // Card numbers: 13–19 digits, optionally grouped by spaces or dashes, that pass the Luhn check.
  { kind: 'card', pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g, accept: (match) => luhn(digitsOf(match)) },
  // Mainland China resident ID numbers (18 characters, the last may be X) and the old 15-digit form.
  { kind: 'id-number', pattern: /(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{15})(?![\dA-Za-z])/g },
  // Mainland mobile numbers, with or without +86 and separators: 138 0013 8000, +86-13800138000.
  { kind: 'phone', pattern: /(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)/g },
  // International numbers (+44 20 7946 0958, +1-800-555-0142) before the landline and service-number rule, which
  // would otherwise take the 800-555-0142 out of +1-800-555-0142 and leave "+1-[phone]" with the country code showing.
  { kind: 'phone', pattern: /(?<![\d+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\d)/g, accept: (match) => digitsOf(match).length >= 9 },
  // Landlines and service numbers: 010-12345678, (021) 6234 5678, 400-820-1234.
  { kind: 'phone', pattern: /(?<!\d)(?:\(0\d{2,3}\)\s?|0\d{2,3}[\s-])\d{3,4}[\s-]?\d{4}(?!\d)|(?<!\d)[48]00[\s-]?\d{3}[\s-]?\d{4}(?!\d)/g },
  // North American formats: (415) 555-0142, 415.555.0142.
  { kind: 'phone', pattern: /(?<!\d)\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)/g },
  // Whatever long number is left (customer, account, parcel numbers without a keyword).
  { kind: 'number', pattern: /(?<![\dA-Za-z])[A-Za-z]{0,4}\d{9,}(?![\dA-Za-z])/g },
];

export function maskPii(text: string): string {
  let masked = text;
  for (const rule of RULES) {
    masked = masked.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
      const [prefix, value] = rule.keepPrefix ? [groups[0] as string, groups[1] as string] : ['', match];
      return rule.accept && !rule.accept(value) ? match : `${prefix}[${rule.kind}]`;
    });
  }
  return masked;
}

/**
 * `maskPii` for text the service wrote around the customer's (an answer): the `keep` texts, where they occur
 * verbatim, stay as they are. The handoff contact line is the service's own phone number and address, not the
 * customer's: masked in a stored refusal, the widget's reloaded conversation told the visitor to "call +1-[phone]
 * or email [email]". Everything outside those texts is masked as before.
 */
export function maskPiiKeeping(keep: readonly string[]): (text: string) => string {
  // Longest first, so a contact line that contains another is kept whole.
  const kept = [...new Set(keep.filter((entry) => entry.trim().length > 0))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = '';
    let from = 0;
    for (;;) {
      let at = -1;
      let match = '';
      for (const entry of kept) {
        const index = text.indexOf(entry, from);
        if (index !== -1 && (at === -1 || index < at)) [at, match] = [index, entry];
      }
      if (at === -1) return out + maskPii(text.slice(from));
      out += maskPii(text.slice(from, at)) + match;
      from = at + match.length;
    }
  };
}

/** Masks every string field of a record (one level deep and inside arrays of strings); other values pass. */
export function maskRecord<T extends Record<string, unknown>>(record: T, fields: (keyof T)[]): T {
  const out: Record<string, unknown> = { ...record };
  for (const field of fields) {
    const value = out[field as string];
    if (typeof value === 'string') out[field as string] = maskPii(value);
  }
  return out as T;
}
