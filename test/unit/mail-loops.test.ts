import { describe, expect, it } from 'vitest';
import { cleanDisplayName, composeReply } from '../../src/email/compose-reply.js';
import { automaticMailReason, ownAddress } from '../../src/email/mail-loops.js';
import { parseEmail } from '../../src/email/parse-email.js';
import { ReviewRules } from '../../src/email/review-rules.js';

/**
 * Mail loops (RFC 3834) and strangers' header text: which mail the channel must not answer, read from the raw
 * message as parseEmail sees it, and the sender's display name as the greeting may repeat it.
 */
const own = ownAddress('Lumora Support <support@lumora.example>');
const mail = (headers: string, from = 'Anna <anna@acme.example>') =>
  Buffer.from(
    `From: ${from}\r\nTo: support@lumora.example\r\nSubject: Battery\r\nMessage-ID: <m1@acme.example>\r\n${headers}Content-Type: text/plain; charset=utf-8\r\n\r\nHow long does the battery last?\r\n`,
  );
const reason = async (raw: Buffer) => {
  const email = await parseEmail(raw);
  return automaticMailReason(email.automatic, [email.from, email.replyTo], own);
};

describe('mail that must not be answered', () => {
  it.each([
    ['our own address with Auto-Submitted: auto-replied', mail('Auto-Submitted: auto-replied\r\n', 'Lumora Support <support@lumora.example>'), 'own_address'],
    ['our own address, upper case, plain', mail('', 'Lumora Support <SUPPORT@Lumora.Example>'), 'own_address'],
    ['another mailbox of our domain', mail('', 'Billing <billing@lumora.example>'), 'own_address'],
    ['a Reply-To of our own', mail('Reply-To: support@lumora.example\r\n'), 'own_address'],
    ['Auto-Submitted: auto-replied', mail('Auto-Submitted: auto-replied\r\n'), 'auto_submitted'],
    ['Auto-Submitted: auto-generated (folded)', mail('Auto-Submitted:\r\n auto-generated\r\n'), 'auto_submitted'],
    ['Precedence: auto_reply', mail('Precedence: auto_reply\r\n'), 'bulk'],
    ['Precedence: bulk', mail('Precedence: bulk\r\n'), 'bulk'],
    ['Precedence: junk', mail('Precedence: junk\r\n'), 'bulk'],
    ['Precedence: list', mail('Precedence: list\r\n'), 'bulk'],
    ['List-Id', mail('List-Id: Lumora users <users.lists.example>\r\n'), 'mailing_list'],
    ['X-Autoreply', mail('X-Autoreply: yes\r\n'), 'auto_submitted'],
    ['X-Auto-Response-Suppress: All (an Exchange auto-reply)', mail('X-Auto-Response-Suppress: All\r\n'), 'auto_submitted'],
    ['a null Return-Path (a bounce)', mail('Return-Path: <>\r\n'), 'bounce'],
    ['MAILER-DAEMON', mail('', 'Mail Delivery Subsystem <MAILER-DAEMON@mx.example>'), 'bounce'],
  ])('%s', async (_name, raw, expected) => {
    expect(await reason(raw)).toBe(expected);
  });

  it.each([
    ['a customer', mail('')],
    ['Auto-Submitted: no (a person wrote it)', mail('Auto-Submitted: no\r\n')],
    ['Precedence: first-class', mail('Precedence: first-class\r\n')],
    ['a customer whose domain ends like ours', mail('', 'Eve <eve@notlumora.example>')],
  ])('answers %s', async (_name, raw) => {
    expect(await reason(raw)).toBeUndefined();
  });
});

describe("a stranger's display name", () => {
  it.each([
    ['<img src=x onerror=alert(10)>', ''],
    ['Anna <b>Smith</b>', 'Anna Smith'],
    ['Anna\u202e htimS', 'Anna htimS'],
    ['Ann\u200ba\u0000\u0007 Smith', 'Ann a Smith'],
    ['张伟', '张伟'],
    ["Seán O'Brien", "Seán O'Brien"],
    ['Visit https://win.example now', ''],
    ['www.win.example', ''],
    ['anna@acme.example', ''],
    ['A'.repeat(41), ''],
    ['<'.repeat(100_000), ''],
  ])('%j is greeted as %j', (name, expected) => {
    expect(cleanDisplayName(name)).toBe(expected);
  });

  it('never reaches the greeting as markup', () => {
    const reply = composeReply(
      { answer: 'It lasts 7 days.', mode: 'generated', refused: false, citations: [] },
      { lang: 'en', customerName: '<img src=x onerror=alert(10)>', subject: 'Battery', companyName: 'Lumora', handoffContact: 'x' },
    );
    expect(reply.text).toMatch(/^Hello,\n/);
    expect(reply.text).not.toContain('<img');
  });
});

describe('a Reply-To outside the From domain', () => {
  const rules = new ReviewRules({ categories: { refund: { names: { zh: '退款', en: 'refund' }, patterns: ['refund'] } } }, 0.5);
  const base = { text: 'How long does the battery last?', subject: 'Battery', lang: 'en' as const, refused: false, confidence: 0.9, mode: 'generated' };

  it('is a review reason naming both addresses', () => {
    const reasons = rules.reasons({ ...base, replyToElsewhere: { from: 'anna@acme.example', replyTo: 'victim@target.example' } });
    expect(reasons).toEqual([expect.objectContaining({ code: 'reply_to_elsewhere', matched: 'anna@acme.example → victim@target.example' })]);
    expect(rules.reasons(base)).toEqual([]);
  });
});
