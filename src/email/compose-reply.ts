import type { AnswerDone } from '../answer/answer-service.js';
import { messagesFor } from '../answer/message-catalogue.js';
import { sourceList } from '../answer/source-list.js';
import type { Language } from '../text/language.js';
import { baseSubject } from './parse-email.js';

/**
 * The reply drafted for one e-mail: a greeting, the body, the sources, a formal sign-off, in the customer's
 * language. The greeting and sign-off are templates, not generated, so the model can neither invent a name nor
 * sign as somebody; it writes only the body (with the `email` channel's length and formal tone).
 */
export interface ReplyDraft {
  subject: string;
  text: string;
  html: string;
}

export interface ReplyContext {
  lang: Language;
  customerName: string;
  subject: string;
  companyName: string;
  handoffContact: string;
  /** The visible AI-content label (src/moderation/content-label.ts), the reply's last line when set. */
  contentLabel?: string;
}

const TEMPLATES: Record<Language, { greeting: (name: string) => string; thanks: (company: string) => string; quoted: string; holding: (contact: string) => string; closing: string; signOff: (company: string) => string; subject: (subject: string) => string }> = {
  en: {
    greeting: (name) => (name ? `Dear ${name},` : 'Hello,'),
    thanks: (company) => `Thank you for contacting ${company} Support.`,
    quoted: 'Here is what our help articles say about your question:',
    holding: (contact) => `We have passed your message to a member of our support team, who will get back to you personally as soon as possible. If it is urgent, you can also reach us at ${contact}.`,
    closing: 'If anything is unclear, simply reply to this e-mail.',
    signOff: (company) => `Best regards,\n${company} Support`,
    subject: (subject) => `Re: ${subject || 'Your message'}`,
  },
  zh: {
    greeting: (name) => (name ? `${name}，您好：` : '您好：'),
    thanks: (company) => `感谢您联系${company}客服。`,
    quoted: '关于您的问题，帮助资料中是这样说明的：',
    holding: (contact) => `我们已将您的来信转交给客服同事，他们会尽快亲自回复您。如有急事，您也可以联系${contact}。`,
    closing: '如有其他疑问，欢迎直接回复本邮件。',
    signOff: (company) => `此致\n敬礼\n\n${company}客服团队`,
    subject: (subject) => `回复：${subject || '您的来信'}`,
  },
};

const MAX_NAME_CHARS = 40;

/**
 * A sender's display name as we may repeat it: in the greeting of a mail signed by us, and on the review page.
 * It is whatever a stranger put in From, so markup ("<img src=x onerror=…>"), control and invisible characters
 * (bidi overrides, zero-width) go, and a name that is an address, a link or longer than 40 characters is no name
 * ("Hello," instead): we must not write a stranger's link or slogan into our own letter.
 */
export function cleanDisplayName(name: string): string {
  // Cut first: every pattern below then runs over a bounded string, whatever the header held.
  const text = name
    .slice(0, 400)
    .normalize('NFC')
    .replace(/<[^<>]*>?/g, ' ')
    .replace(/[\p{C}<>"`{}[\]\\|]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text || [...text].length > MAX_NAME_CHARS || /@|:\/\/|\bwww\./i.test(text)) return '';
  return text;
}

export function composeReply(done: Pick<AnswerDone, 'answer' | 'mode' | 'refused' | 'citations'>, context: ReplyContext): ReplyDraft {
  const t = TEMPLATES[context.lang];
  const paragraphs = [t.greeting(cleanDisplayName(context.customerName)), t.thanks(context.companyName)];
  if (done.refused) paragraphs.push(t.holding(context.handoffContact));
  else {
    // A quote is introduced as one, so the customer knows it is the documentation speaking.
    if (done.mode === 'extractive' || done.mode === 'fallback') paragraphs.push(t.quoted);
    paragraphs.push(done.answer.trim());
    const sources = sourceList(done.citations, context.lang);
    if (sources) paragraphs.push(sources);
  }
  paragraphs.push(t.closing, t.signOff(context.companyName));
  if (context.contentLabel) paragraphs.push(`— ${context.contentLabel}`);
  const text = paragraphs.join('\n\n');
  return { subject: t.subject(baseSubject(context.subject)), text, html: textToHtml(text) };
}

/**
 * What a reply says, without the letter around it: the greeting, thanks, holding paragraph, quote introduction,
 * sources block, closing, sign-off and content label that composeReply wrote are dropped, whatever the reviewer
 * wrote or kept stays. The knowledge base learns from the answer, not from "Dear Anna,".
 */
export function replyBody(text: string, context: Pick<ReplyContext, 'lang' | 'companyName' | 'handoffContact'>): string {
  const t = TEMPLATES[context.lang];
  const templates = [t.thanks(context.companyName), t.quoted, t.holding(context.handoffContact), t.closing, t.signOff(context.companyName)];
  const boilerplate = new Set(templates.map(normalise));
  // Whole templates first: a sign-off spans a blank line (此致 敬礼, then the company), so paragraphs alone miss it.
  let body = text.replace(/\r\n?/g, '\n');
  for (const template of templates) body = body.split(template).join('\n\n');
  const paragraphs = body.split(/\n{2,}/).filter((paragraph) => paragraph.trim());
  const greeting = context.lang === 'zh' ? /^[^\n]{0,60}您好[:：]$/ : /^(Dear [^\n]{0,60}|Hello|Hi [^\n]{0,60}),$/;
  return paragraphs
    .filter((paragraph, index) => {
      const trimmed = paragraph.trim();
      if (boilerplate.has(normalise(trimmed))) return false;
      if (index === 0 && greeting.test(trimmed)) return false;
      if (trimmed.startsWith('— ') && index === paragraphs.length - 1) return false;
      return !trimmed.startsWith(`${messagesFor(context.lang).sourcesHeading}\n`);
    })
    .map((paragraph) => paragraph.trim())
    .join('\n\n');
}

const normalise = (paragraph: string) => paragraph.replace(/\s+/g, ' ').trim();

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The HTML part of a reply: the same text, paragraphs and line breaks kept. */
export function textToHtml(text: string): string {
  const body = text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="font-family: sans-serif; line-height: 1.5">\n${body}\n</body></html>`;
}
