import type { Language } from '../text/language.js';

/**
 * Mail that must not be answered: RFC 3834's automatic mail (out-of-office replies, bounces, lists, bulk mail),
 * mail from ourselves, and senders or threads past the reply cap. Answering any of them starts or feeds a mail
 * loop: two auto-responders answering each other forever, or us answering our own replies ("Dear Lumora Support").
 * Such mail is recorded with its reason and no reply, for a reviewer to see; it is neither a failure nor retried.
 */
export type NotAnsweredCode = 'auto_submitted' | 'bulk' | 'mailing_list' | 'bounce' | 'own_address' | 'sender_limit' | 'thread_limit';

/** The headers that say a message was sent by a machine, as they came (unfolded, trimmed). */
export interface AutomaticHeaders {
  autoSubmitted?: string;
  precedence?: string;
  listId?: string;
  /** Microsoft's `X-Auto-Response-Suppress`, `X-Autoreply`, `X-Autorespond`: auto-responders that do not say so in RFC 3834 terms. */
  autoResponse?: string;
  returnPath?: string;
  /** The top-level Content-Type: a delivery status report (multipart/report) is a bounce. */
  contentType?: string;
}

export interface Mailbox {
  address: string;
}

const domainPart = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** The address in "Name <address>" or a bare address, lower-cased. */
export function ownAddress(from: string): { address: string; domain: string } {
  const address = (/<([^>\s]+@[^>\s]+)>/.exec(from)?.[1] ?? /[^\s<>"]+@[^\s<>"]+/.exec(from)?.[0] ?? '').toLowerCase();
  return { address, domain: domainPart(address) };
}

/**
 * Why a message must not be answered because of what it is (before anything is drafted), or undefined.
 * RFC 3834 §2: no automatic response to `Auto-Submitted` other than `no`, to `Precedence: bulk/junk/list`
 * (and the common `auto_reply`), to list mail (`List-Id`), or to a null return path (bounces).
 */
export function automaticMailReason(headers: AutomaticHeaders, senders: (Mailbox | undefined)[], own: { address: string; domain: string }): NotAnsweredCode | undefined {
  const known = senders.filter((sender): sender is Mailbox => Boolean(sender?.address));
  // Our own address or domain: a reply of ours that came back (a forward, a misconfigured inbox), or a colleague's test.
  if (own.domain && known.some((sender) => sender.address.toLowerCase() === own.address || domainPart(sender.address) === own.domain)) return 'own_address';
  const autoSubmitted = headers.autoSubmitted?.trim().toLowerCase();
  if (autoSubmitted && !/^no\b/.test(autoSubmitted)) return 'auto_submitted';
  if (headers.autoResponse !== undefined) return 'auto_submitted';
  if (headers.precedence && /^(bulk|junk|list|auto[_-]?reply)\b/i.test(headers.precedence.trim())) return 'bulk';
  if (headers.listId !== undefined) return 'mailing_list';
  if (headers.returnPath !== undefined && /^<?\s*>?$/.test(headers.returnPath.trim())) return 'bounce';
  if (headers.contentType && /^multipart\/report\b/i.test(headers.contentType.trim())) return 'bounce';
  if (known.some((sender) => /^(mailer-daemon|postmaster)@/i.test(sender.address))) return 'bounce';
  return undefined;
}

/** Extracts the loop-relevant headers from raw header lines ("Name: value", folded lines already joined). */
export function automaticHeaders(lines: readonly { key: string; line: string }[]): AutomaticHeaders {
  const value = (key: string) => {
    const found = lines.find((entry) => entry.key.toLowerCase() === key);
    if (!found) return undefined;
    const line = found.line.replace(/\r?\n[ \t]+/g, ' ');
    const colon = line.indexOf(':');
    return (colon >= 0 ? line.slice(colon + 1) : '').trim().slice(0, 500);
  };
  const suppress = value('x-auto-response-suppress');
  return {
    autoSubmitted: value('auto-submitted'),
    precedence: value('precedence'),
    listId: value('list-id'),
    // X-Auto-Response-Suppress is set on mail that asks not to be auto-answered (Exchange's own auto-replies carry it).
    autoResponse: value('x-autoreply') ?? value('x-autorespond') ?? (suppress && /\b(all|autoreply|oof)\b/i.test(suppress) ? suppress : undefined),
    returnPath: value('return-path'),
    contentType: value('content-type'),
  };
}

export const NOT_ANSWERED_LABELS: Record<Language, Record<NotAnsweredCode, string>> = {
  en: {
    auto_submitted: 'not answered: an automatic message (Auto-Submitted or an auto-responder)',
    bulk: 'not answered: bulk, junk or auto-reply mail (Precedence)',
    mailing_list: 'not answered: mailing-list mail (List-Id)',
    bounce: 'not answered: a bounce or delivery report',
    own_address: 'not answered: sent from our own address or domain (EMAIL_FROM)',
    sender_limit: 'not answered: this sender reached the reply limit (EMAIL_REPLY_LIMIT_PER_SENDER)',
    thread_limit: 'not answered: this thread reached the reply limit (EMAIL_REPLY_LIMIT_PER_THREAD)',
  },
  zh: {
    auto_submitted: '未回复：自动发送的邮件（Auto-Submitted 或自动回复）',
    bulk: '未回复：群发、垃圾或自动回复邮件（Precedence）',
    mailing_list: '未回复：邮件列表的邮件（List-Id）',
    bounce: '未回复：退信或投递报告',
    own_address: '未回复：来自我们自己的地址或域名（EMAIL_FROM）',
    sender_limit: '未回复：该发件人已达回复上限（EMAIL_REPLY_LIMIT_PER_SENDER）',
    thread_limit: '未回复：该会话已达回复上限（EMAIL_REPLY_LIMIT_PER_THREAD）',
  },
};
