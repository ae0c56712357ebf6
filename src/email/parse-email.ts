import { createHash } from 'node:crypto';
import { htmlToText } from 'html-to-text';
import { simpleParser } from 'mailparser';
import { detectLanguage, type Language } from '../text/language.js';
import { type AutomaticHeaders, automaticHeaders } from './mail-loops.js';
import { splitReply } from './reply-text.js';

/** One received e-mail as the channel needs it: who, which thread, the new text apart from quotes and signature. */
export interface ParsedEmail {
  messageId: string;
  inReplyTo?: string;
  references: string[];
  from?: { address: string; name: string };
  replyTo?: { address: string; name: string };
  to: string[];
  subject: string;
  date?: string;
  /** What the customer wrote in this message. */
  text: string;
  quoted: string;
  signature: string;
  /** The body as sent (text, or text from the HTML when there is no text part), cut to `maxTextChars`. */
  body: string;
  /** The body was longer than `maxTextChars` and was cut: the draft says so to its reviewer. */
  truncated: boolean;
  htmlOnly: boolean;
  attachments: { filename: string; contentType: string; size: number }[];
  lang: Language;
  /** The headers that mark machine-sent mail (RFC 3834 and its kin): such mail is recorded, never answered. */
  automatic: AutomaticHeaders;
}

export class EmailParseError extends Error {
  override name = 'EmailParseError';
}

const ids = (value: string | string[] | undefined): string[] => (Array.isArray(value) ? value : value ? value.split(/\s+/) : []).map((id) => id.trim()).filter(Boolean);

/** The Message-ID from the raw header block, without parsing the message (intake must be quick); else a content hash. */
export function rawMessageId(raw: Buffer): string {
  const end = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const headers = raw.subarray(0, end >= 0 ? end : Math.min(raw.length, 64 * 1024)).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id\s*:\s*(<[^>\s]+>)/im.exec(headers);
  // The same message posted twice without a Message-ID still counts once.
  return match?.[1] ?? `<sha256-${createHash('sha256').update(raw).digest('hex').slice(0, 40)}@kefu.invalid>`;
}

export interface ParseOptions {
  /** The decoded body is cut to this many characters before reply splitting; what a customer asks is at the top. */
  maxTextChars: number;
}

export const DEFAULT_MAX_TEXT_CHARS = 100_000;

/** HTML to plain text for a mail with no text part: quotes as "> " lines (as splitReply reads them), no link targets or images. */
const MAX_HTML_INPUT = 4 * DEFAULT_MAX_TEXT_CHARS;

const htmlBodyToText = (html: string) =>
  htmlToText(html, {
    wordwrap: false,
    limits: { maxDepth: 100, maxInputLength: MAX_HTML_INPUT },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'script', format: 'skip' },
    ],
  });

/**
 * Parses a raw RFC 5322 message: MIME, transfer encodings and charsets (GBK, GB2312, Big5, UTF-8…) by mailparser.
 * CPU work over a stranger's text: the channel runs it on a worker thread under a time budget (IsolatedMailParser).
 */
export async function parseEmail(raw: Buffer, options: ParseOptions = { maxTextChars: DEFAULT_MAX_TEXT_CHARS }): Promise<ParsedEmail> {
  if (!raw.length) throw new EmailParseError('The message is empty');
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  const address = (value: typeof mail.from) => {
    const first = value?.value?.[0];
    return first?.address ? { address: first.address, name: first.name ?? '' } : undefined;
  };
  const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((entry) => entry.value.map((item) => item.address ?? '')).filter(Boolean);
  // HTML-only mail: mailparser writes the text from the HTML, quotes as "> " lines and the client's quote header
  // ("On … wrote:", Outlook's "From:/Sent:" block) as text, which splitReply recognises.
  // mailparser converts the HTML only when it is the root part or an alternative: HTML beside an attachment
  // (multipart/mixed of text/html and a PDF) came back with no text at all, and the draft answered the subject.
  const html = typeof mail.html === 'string' ? mail.html : '';
  const fullBody = mail.text?.trim() ? mail.text : html ? htmlBodyToText(html) : (mail.text ?? '');
  const htmlOnly = Boolean(html) && !/^content-type:\s*text\/plain/im.test(raw.toString('latin1'));
  // HTML past html-to-text's input limit was cut before conversion: the reviewer must hear of that cut too.
  const truncated = fullBody.length > options.maxTextChars || (!mail.text?.trim() && html.length > MAX_HTML_INPUT);
  const body = truncated ? fullBody.slice(0, options.maxTextChars) : fullBody;
  const parts = splitReply(body);
  const subject = (mail.subject ?? '').trim();
  return {
    messageId: mail.messageId ?? rawMessageId(raw),
    inReplyTo: mail.inReplyTo,
    references: ids(mail.references),
    from: address(mail.from),
    replyTo: address(mail.replyTo),
    to,
    subject,
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : undefined,
    text: parts.text,
    quoted: parts.quoted,
    signature: parts.signature,
    body,
    truncated,
    htmlOnly,
    attachments: mail.attachments.filter((attachment) => attachment.contentDisposition !== 'inline' || attachment.filename).map((attachment) => ({ filename: attachment.filename ?? '(unnamed)', contentType: attachment.contentType, size: attachment.size })),
    lang: detectLanguage(`${subject}\n${parts.text}`),
    automatic: automaticHeaders(mail.headerLines ?? []),
  };
}

/** The thread a message belongs to: the first message it refers to, else itself. */
export const threadKeyOf = (email: Pick<ParsedEmail, 'references' | 'inReplyTo' | 'messageId'>) => email.references[0] ?? email.inReplyTo ?? email.messageId;

/** The subject without reply and forward prefixes, in the forms mail clients write them. */
export const baseSubject = (subject: string) => subject.replace(/^(\s*(re|fw|fwd|aw|sv|回复|答复|转发)\s*(\[\d+\])?\s*[:：]\s*)+/i, '').trim();
