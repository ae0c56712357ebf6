import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { composeReply } from '../../src/email/compose-reply.js';
import { emailQuestion } from '../../src/email/email-question.js';
import { IsolatedMailParser } from '../../src/email/isolated-mail-parser.js';
import { baseSubject, EmailParseError, parseEmail, rawMessageId } from '../../src/email/parse-email.js';
import { splitReply } from '../../src/email/reply-text.js';
import { ReviewRules } from '../../src/email/review-rules.js';
import { maskPii } from '../../src/privacy/pii.js';
import { detectLanguage } from '../../src/text/language.js';
import { toFullWidthPunctuation } from '../../src/text/punctuation.js';
import { splitSentences } from '../../src/text/sentences.js';

/**
 * Every text path a stranger's e-mail reaches must cost time linear in the text. A quadratic one let a single
 * 200 KB mail of spaces hold the API's event loop for 18 s. These tests do not time anything against a clock:
 * they compare the CPU time of one input with that of the same input eight times longer, in the same run. Linear code costs about 8×
 * more, quadratic about 64×; the bound (32×) sits between: a machine busy with other work adds noise to both
 * readings, and the least of several readings discards most of it.
 */
const GROWTH = 8;
const MAX_RATIO = 32;

/** CPU milliseconds this process has used: unlike the wall clock, it does not count time the machine gave to others. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Mean CPU milliseconds of one call, repeated until at least 10 ms of CPU have been spent. */
function perCall(run: () => unknown): number {
  let calls = 0;
  const start = cpuMs();
  do {
    run();
    calls++;
  } while (cpuMs() - start < 10);
  return (cpuMs() - start) / calls;
}

function growth(path: (text: string) => unknown, unit: string, baseChars = 4000): number {
  const small = unit.repeat(Math.ceil(baseChars / unit.length));
  const large = small.repeat(GROWTH);
  path(small); // warm the JIT on this shape
  // The least of three readings: noise only ever adds time.
  const smallMs = Math.min(perCall(() => path(small)), perCall(() => path(small)), perCall(() => path(small)));
  const largeMs = Math.min(perCall(() => path(large)), perCall(() => path(large)), perCall(() => path(large)));
  return largeMs / smallMs;
}

// The linearity tests below are synchronous and take seconds each on a busy machine; run back to back they held the
// event loop for over a minute, and vitest's worker gave up on its own messages to the runner ("Timeout calling
// onTaskUpdate"). A turn of the event loop after each test lets those through; it changes no reading.
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const reviewRules = new ReviewRules(parseYaml(await readFile('knowledge/email-review.yaml', 'utf8')), 0.5);

/** What a stranger's text goes through, from the raw header block to the drafted reply. */
const PATHS: Record<string, (text: string) => unknown> = {
  splitReply: (text) => splitReply(text),
  emailQuestion: (text) => emailQuestion(text.slice(0, 200), text, { maxChars: 2000, inThread: false }),
  reviewRules: (text) => reviewRules.reasons({ text, subject: text.slice(0, 200), lang: 'en', refused: false, confidence: 1, mode: 'generated' }),
  maskPii: (text) => maskPii(text),
  punctuation: (text) => toFullWidthPunctuation(text),
  detectLanguage: (text) => detectLanguage(text),
  splitSentences: (text) => splitSentences(text),
  baseSubject: (text) => baseSubject(text),
  rawMessageId: (text) => rawMessageId(Buffer.from(`Subject: ${text}\r\nX-Long: ${text}\r\n\r\nbody`)),
  greeting: (text) => composeReply({ answer: text, mode: 'extractive', refused: false, citations: [] }, { lang: 'en', customerName: text, subject: text, companyName: 'Lumora', handoffContact: 'x' }),
};

// Units that broke or nearly broke a path before: blanks before no newline, a sign-off and blanks, quote header
// fragments, Chinese quote markers, runs of marks and brackets, digits that look like phone or card numbers.
const KNOWN_UNITS = [' ', '\t', 'thanks ', ' \n', '于', '于写', 'On wrote', '> ', '?)', '.', '. ', '1 ', '1-', '+1 ', 'a@', 'a.', 'order ', '订单号', '-', '\u3000', 'http://', 'Dear ', '您好，'];
const hostileChar = fc.constantFrom(' ', '\t', '\n', '\r', '>', '.', '?', '？', '。', ')', '）', '-', '@', '+', '1', '9', 'a', 'Z', '于', '写', '道', ':', '：', '谢', 'thanks', 'wrote', 'On', '#', '/');
const hostileUnit = fc.array(hostileChar, { minLength: 1, maxLength: 6 }).map((chars) => chars.join(''));

describe('every text path a stranger e-mail reaches is linear', () => {
  it.each(Object.keys(PATHS))('%s on repeated known-hostile units', (name) => {
    for (const unit of KNOWN_UNITS) {
      const ratio = growth(PATHS[name]!, unit);
      expect(ratio, `${name} on ${JSON.stringify(unit)}: ${ratio.toFixed(1)}× the time for ${GROWTH}× the text`).toBeLessThan(MAX_RATIO);
    }
  });

  it('splitReply, emailQuestion and the review rules on random adversarial units (property-based)', () => {
    fc.assert(
      fc.property(hostileUnit, (unit) => {
        for (const name of ['splitReply', 'emailQuestion', 'reviewRules', 'maskPii']) {
          const ratio = growth(PATHS[name]!, unit, 2000);
          expect(ratio, `${name} on ${JSON.stringify(unit)}`).toBeLessThan(MAX_RATIO);
        }
      }),
      { numRuns: 12, seed: 26 },
    );
  });

  it('the report that started this: 100 KB of spaces, and "thanks" before them, split at once', () => {
    // The old code: 5.6 s and 4.4 s. Compared with reading the same text once, not with a clock.
    const spaces = ' '.repeat(100_000);
    const read = perCall(() => spaces.toLowerCase().split('\n'));
    expect(perCall(() => splitReply(spaces)) / read).toBeLessThan(200);
    expect(perCall(() => splitReply(`thanks${spaces}`)) / read).toBeLessThan(200);
    expect(splitReply(`Can I swim?${spaces}x`).text).toBe(`Can I swim?${spaces}x`);
  });
});

const mail = (headers: string, body: string) => Buffer.from(`From: Anna <anna@shop.example>\r\nTo: support@lumora.example\r\nSubject: Swimming\r\nMessage-ID: <m1@shop.example>\r\n${headers}\r\n${body}`);

describe('parsing a stranger e-mail', () => {
  it('cuts an over-long body before splitting it, and says so', async () => {
    const email = await parseEmail(mail('Content-Type: text/plain\r\n', `Can I swim with the Pulse Band?${' '.repeat(200_000)}x`), { maxTextChars: 10_000 });
    expect(email.truncated).toBe(true);
    expect(email.body).toHaveLength(10_000);
    expect(email.text).toBe('Can I swim with the Pulse Band?');
    expect(reviewRules.reasons({ text: email.text, subject: email.subject, lang: 'en', refused: false, confidence: 1, mode: 'generated', truncated: email.truncated }).map((reason) => reason.code)).toContain('truncated');
  });

  it('says an HTML-only body was cut when it was over the HTML converter\'s input limit, even if its text is short', async () => {
    // HTML beside an attachment is converted by parseEmail itself (mailparser converts only a root or alternative HTML part).
    const html = `<p>Can I swim?</p>${'<span></span>'.repeat(40_000)}<p>the rest</p>`;
    const body = ['--mix', 'Content-Type: text/html; charset=utf-8', '', html, '--mix', 'Content-Type: application/pdf; name="a.pdf"', 'Content-Disposition: attachment; filename="a.pdf"', 'Content-Transfer-Encoding: base64', '', 'JVBERi0xLjQK', '--mix--', ''].join('\r\n');
    const email = await parseEmail(mail('Content-Type: multipart/mixed; boundary="mix"\r\n', body));
    expect(email.text).toContain('Can I swim?');
    expect(email.text).not.toContain('the rest');
    expect(email.truncated).toBe(true);
  });

  it('reads the body of an HTML mail sent with an attachment (multipart/mixed of text/html and a PDF)', async () => {
    const body = [
      '--mix',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<html><head><style>p{color:red}</style></head><body><p>Hello,</p><p>Can I swim with the <b>Pulse Band 3</b>?</p><blockquote>On Monday you wrote: old text</blockquote></body></html>',
      '--mix',
      'Content-Type: application/pdf; name=receipt.pdf',
      'Content-Disposition: attachment; filename=receipt.pdf',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 not really').toString('base64'),
      '--mix--',
      '',
    ].join('\r\n');
    const email = await parseEmail(mail('MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=mix\r\n', body));
    expect(email.text).toContain('Can I swim with the Pulse Band 3?');
    expect(email.text).not.toContain('color:red');
    expect(email.htmlOnly).toBe(true);
    expect(email.attachments.map((attachment) => attachment.filename)).toEqual(['receipt.pdf']);
  });
});

describe('mail parsed on a worker thread under a time budget', () => {
  const parser = new IsolatedMailParser({ timeoutMs: 10_000, maxTextChars: 100_000 });
  afterAll(() => parser.close());

  it('gives what parsing on the main thread gives', async () => {
    for (const file of ['en-reply-quoted.eml', 'zh-gbk-base64.eml', 'zh-gb2312-html-only.eml', 'en-attachment.eml']) {
      const raw = await readFile(`test/fixtures/email/${file}`);
      expect(await parser.parse(raw)).toEqual(await parseEmail(raw));
    }
  });

  it('reports a message that cannot be parsed as such', async () => {
    // Not a mail at all still parses (as a header block with no body): nothing to answer, but no crash either.
    await expect(parser.parse(Buffer.from('not a mail at all'))).resolves.toMatchObject({ text: '', from: undefined });
    const tooManyParts = Array.from({ length: 20_000 }, () => '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n').join('');
    await expect(parser.parse(mail('Content-Type: multipart/mixed; boundary=b\r\n', `${tooManyParts}--b--\r\n`))).rejects.toBeInstanceOf(EmailParseError);
  });

  it('gives up a message over its budget, and parses the next one on a fresh thread', async () => {
    const quick = new IsolatedMailParser({ timeoutMs: 100, maxTextChars: 100_000 });
    try {
      // About 16 MB of quoted-printable GBK in 900 parts: some 0.5 s of parsing on a fast core, far over 100 ms.
      const parts = Array.from({ length: 900 }, () => `--b\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${'=C4=E3'.repeat(3000)}\r\n`).join('');
      await expect(quick.parse(mail('Content-Type: multipart/mixed; boundary=b\r\n', `${parts}--b--\r\n`))).rejects.toThrow(/EMAIL_PARSE_TIMEOUT_MS/);
      const next = await IsolatedMailParser.prototype.parse.call(new IsolatedMailParser({ timeoutMs: 10_000, maxTextChars: 1000 }), mail('Content-Type: text/plain\r\n', 'Can I swim?'));
      expect(next.text).toBe('Can I swim?');
    } finally {
      await quick.close();
    }
  });
});
