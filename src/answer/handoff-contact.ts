import type { HandoffContacts } from '../config/config.js';
import { isTranslatedLanguage, type LanguageCode } from '../text/language.js';
import { supportTeamContact } from './message-catalogue.js';

/**
 * Parts of a contact line that read the same in every language: web addresses, e-mail addresses and phone numbers.
 * A phone number is digits and bracketed area codes joined by at most one space, dot or dash, so "0142 (9am" ends
 * at 0142; one with fewer than MIN_PHONE_DIGITS digits (opening hours, 9:00–21:00) is not taken. One alternation
 * scanned left to right, so an address inside a URL is not taken twice.
 */
const DETAIL =
  /(?:https?:\/\/|www\.)[^\s<>"'，。；、（）]+|(?<![\w.%+-])[\w.%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\w-])|(?<![\w+])\+?(?:\(\d{1,4}\)|\d)(?:[ .-]?(?:\(\d{1,4}\)|\d)){5,24}(?!\d)/g;
/** Sentence punctuation that ends a URL's match but is not part of the address. */
const TRAILING = /[.,;:!?)\]]+$/;
const MIN_PHONE_DIGITS = 7;

/** The web addresses, e-mail addresses and phone numbers of a contact line, in their order, each once. */
export function contactDetails(contact: string): string[] {
  const details: string[] = [];
  for (const [match] of contact.matchAll(DETAIL)) {
    const detail = match.replace(TRAILING, '').trim();
    const isPhone = !detail.includes('@') && !detail.includes('://');
    if (isPhone && (detail.match(/\d/g)?.length ?? 0) < MIN_PHONE_DIGITS) continue;
    if (!details.includes(detail)) details.push(detail);
  }
  return details;
}

/**
 * The contact a customer writing in `customer` is given, to be put into the catalogue's sentence for that language:
 * the language's own contact when the company gave one; for another translated language "our support team" in that
 * language with the English contact's numbers and addresses, since an English phrase inside a Spanish sentence
 * reads as two languages; the English contact for a language without a translation (its customers read English).
 */
export function handoffContactFor(contacts: HandoffContacts, customer: LanguageCode): string {
  if (customer === 'zh' || customer === 'en') return contacts[customer];
  if (!isTranslatedLanguage(customer)) return contacts.en;
  return contacts[customer] ?? supportTeamContact(customer, contactDetails(contacts.en));
}

/**
 * Every text of ours that may stand in a stored answer as contact: each language's own contact and the details
 * given in the others' place. Masking personal data keeps these (privacy/pii.ts `maskPiiKeeping`), or a stored
 * Spanish refusal would tell the customer to call "[phone]".
 */
export function handoffContactTexts(contacts: HandoffContacts): string[] {
  return [...new Set([...Object.values(contacts).filter((contact): contact is string => Boolean(contact)), ...contactDetails(contacts.en)])];
}
