/**
 * What a "did you mean" suggestion says. The customer clicks it and it is asked as the next question, so it must be
 * a question on its own: a bare section heading ("Resetting", "Parking mode") names no product and, asked, is too
 * vague to retrieve its own section; a passage's first sentence is an answer, not something to click. Every label
 * therefore names its document's subject, and a passage without a heading gets a short label, never a sentence.
 */
import type { Candidate } from '../retrieve/fusion.js';
import { isPageHeading } from '../store/knowledge-store.js';
import { splitSentences } from '../text/sentences.js';

type Labelled = Pick<Candidate, 'kind' | 'metadata' | 'title' | 'headingPath' | 'text' | 'docId'>;

/** A suggestion's text, and what it asks without the document's subject (the FAQ question, the bare heading). */
export interface Label {
  text: string;
  asks: string;
}

/** One line, whatever the page held: the reply lists suggestions a line apiece and the widget counts those lines. */
const oneLine = (text: string) => text.replace(/[\s\u0085]+/g, ' ').trim();

/** A FAQ chunk's stored question, if any. */
function faqQuestion(candidate: Pick<Candidate, 'kind' | 'metadata'>): string | undefined {
  if (candidate.kind !== 'faq') return undefined;
  return candidate.metadata.question?.trim() || undefined;
}

/**
 * The part of a document title that names its subject: "Lumora Drive Cam D1 Dash Camera — User Manual" gives
 * "Lumora Drive Cam D1 Dash Camera", "智能家居故障排除：Wi-Fi 与配网" gives "智能家居故障排除", a crawled page's
 * "Reset your hub | Acme Help" gives "Reset your hub". A title with no such separator is its own subject.
 */
export function titleSubject(title: string): string {
  const head =
    oneLine(title)
      .split(/\s+[—–|-]\s+|\s*[：:]\s*/)[0]
      ?.trim() ?? '';
  return head.length >= 2 ? head : oneLine(title);
}

/** A title a loader made up from an id or a path says nothing about the document: not worth naming. */
const realTitle = (candidate: Labelled) => {
  const title = candidate.title.trim();
  return title && title !== candidate.docId && !candidate.docId.endsWith(title) ? title : undefined;
};

/** `label — subject`, unless the label names the subject already. */
const withSubject = (label: string, subject: string | undefined) => (!subject || label.toLowerCase().includes(subject.toLowerCase()) ? label : `${label} — ${subject}`);

/**
 * The section's own heading: the last of its path, unless that is a page locator ("p. 3") or the document's own
 * title (a manual's H1, which every chunk of it shares and which says nothing the title does not).
 */
function sectionHeading(candidate: Labelled): string | undefined {
  const heading = oneLine(candidate.headingPath.split(' > ').at(-1) ?? '');
  if (!heading || isPageHeading(heading)) return undefined;
  return candidate.title.includes(heading) ? undefined : heading;
}

/**
 * A short first line that is no sentence ("The bulb flickers" over its paragraph) is a heading the loader could not
 * see as one: a PDF page's text keeps its headings as lines. The document's title, repeated on the page, is skipped.
 */
function leadLine(text: string, title: string): string | undefined {
  for (const raw of text.trim().split('\n').slice(0, 2)) {
    const line = oneLine(title && raw.trim().startsWith(title) ? raw.trim().slice(title.length) : raw);
    if (!line) continue;
    return line.length <= 50 && line.split(/\s+/).length <= 8 && !/[.。!?！？:：;；,，]$/.test(line) ? line : undefined;
  }
  return undefined;
}

/** "CarPlay does not start: make sure …" leads with what it is about, as a heading would: that lead, if short. */
function leadBeforeColon(sentence: string): string | undefined {
  const lead = /^([^:：。.!?！？]{2,40})[:：]\s*\S/.exec(sentence)?.[1]?.trim();
  return lead && lead.split(/\s+/).length <= 6 ? lead : undefined;
}

/** The first sentence cut at a word boundary near `max` characters: a label, not the sentence. */
function shortened(sentence: string, max = 60): string {
  if (sentence.length <= max) return sentence.replace(/[.。!！]$/, '');
  const cut = sentence.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,，;；:：]+$/, '')}…`;
}

/**
 * The labels a chunk can be offered under, best first; the suggest stage takes the first that no earlier suggestion
 * of the same answer took. A FAQ entry: its question. A section: its heading with its document's subject. A passage
 * without one: its lead (a heading-like first line, or "CarPlay does not start" before a colon) with the subject, else its document's title, else the start of
 * its first sentence, shortened. The whole first sentence is the last resort only, as before, so that a document is
 * dropped from the suggestions exactly when every label it has is taken.
 */
export function suggestionLabels(candidate: Labelled): Label[] {
  const question = faqQuestion(candidate);
  const title = realTitle(candidate);
  const subject = title ? titleSubject(title) : undefined;
  const sentence = oneLine(splitSentences(candidate.text.trim())[0] ?? '');
  const heading = sectionHeading(candidate);
  const lead = leadLine(candidate.text, candidate.title.trim()) ?? leadBeforeColon(sentence);
  const short = sentence ? shortened(sentence) : undefined;
  const labels: (Label | undefined)[] = [
    question ? { text: oneLine(question), asks: oneLine(question) } : undefined,
    heading ? { text: withSubject(heading, subject), asks: heading } : undefined,
    !heading && lead ? { text: withSubject(lead, subject), asks: lead } : undefined,
    title ? { text: oneLine(title), asks: oneLine(title) } : undefined,
    short ? { text: withSubject(short, subject), asks: short } : undefined,
    sentence ? { text: sentence.length > 120 ? `${sentence.slice(0, 120)}…` : sentence, asks: sentence } : undefined,
  ];
  const seen = new Set<string>();
  return labels.filter((label): label is Label => Boolean(label) && !seen.has(label!.text) && Boolean(seen.add(label!.text)));
}
