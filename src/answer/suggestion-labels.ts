/**
 * What a "did you mean" suggestion says. The customer clicks it and it is asked as the next question, so it must be
 * a question on its own: a bare section heading ("Resetting", "Parking mode") names no product and, asked, is too
 * vague to retrieve its own section; a passage's first sentence is an answer, not something to click. Every label
 * therefore names its document's subject, and a passage without a heading gets a short label, never a sentence.
 */
import { isPageHeading } from '../ingest/document.js';
import type { Candidate } from '../retrieve/fusion.js';
import { splitSentences } from '../text/sentences.js';

type Labelled = Pick<Candidate, 'kind' | 'metadata' | 'title' | 'headingPath' | 'text' | 'docId'>;

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
  const head = oneLine(title).split(/\s+[—–|-]\s+|\s*[：:]\s*/)[0]?.trim() ?? '';
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
 * without one: its lead ("CarPlay does not start") with the subject, else its document's title, else the start of
 * its first sentence, shortened. The whole first sentence is the last resort only, as before, so that a document is
 * dropped from the suggestions exactly when every label it has is taken.
 */
export function suggestionLabels(candidate: Labelled): string[] {
  const question = faqQuestion(candidate);
  const title = realTitle(candidate);
  const subject = title ? titleSubject(title) : undefined;
  const sentence = oneLine(splitSentences(candidate.text.trim())[0] ?? '');
  const heading = sectionHeading(candidate);
  const lead = leadBeforeColon(sentence);
  const labels = [
    question ? oneLine(question) : undefined,
    heading ? withSubject(heading, subject) : undefined,
    !heading && lead ? withSubject(lead, subject) : undefined,
    title ? oneLine(title) : undefined,
    sentence ? withSubject(shortened(sentence), subject) : undefined,
    sentence.length > 120 ? `${sentence.slice(0, 120)}…` : sentence,
  ];
  return [...new Set(labels.filter((label): label is string => Boolean(label)))];
}
