/**
 * Hostile and random mail for the e-mail intake fuzzer and `npm run bench:email`: seeded random MIME trees
 * (nesting, broken boundaries), transfer encodings and charsets (declared right and wrong), header injection
 * (CR/LF in headers, encoded words, huge header lines, Bcc smuggled into a Subject), loop headers, markup
 * display names, Reply-To elsewhere, and the bodies that once stalled the API (spaces, '？', deep HTML).
 */
import fc from 'fast-check';

/** The three hostile mails the issue names: text that once cost 18 s, a deep MIME tree, a huge HTML body. */
export function hostileMails(tag: string): Buffer[] {
  const head = (id: string, type: string) =>
    `From: Mallory <mallory@attacker.example>\r\nTo: support@lumora.example\r\nSubject: Can I swim?\r\nMessage-ID: <${id}-${tag}@attacker.example>\r\nMIME-Version: 1.0\r\nContent-Type: ${type}\r\n\r\n`;
  const spaces = head('spaces', 'text/plain; charset=utf-8') + `Can I swim?${' '.repeat(200_000)}x\r\n`;
  // 60 nested multipart/mixed levels around one question.
  let deep = 'Content-Type: text/plain; charset=utf-8\r\n\r\nCan I swim with the Pulse Band 3?';
  for (let depth = 59; depth >= 0; depth--) deep = `Content-Type: multipart/mixed; boundary="b${depth}"\r\n\r\n--b${depth}\r\n${deep}\r\n--b${depth}--`;
  const deepMime = head('deep', '').replace(/Content-Type: \r\n\r\n$/, '') + deep + '\r\n';
  const html = head('html', 'text/html; charset=utf-8') + `<html><body>${'<div><p>Can I swim? '.repeat(20_000)}${'</p></div>'.repeat(20_000)}${'<span>'.repeat(50_000)}x</body></html>\r\n`;
  const marks = head('marks', 'text/plain; charset=utf-8') + `${'？'.repeat(100_000)}\r\n`;
  return [spaces, deepMime, html, marks].map((text) => Buffer.from(text, 'utf8'));
}

const word = fc.constantFrom(
  'Can',
  'I',
  'swim',
  'with',
  'the',
  'Pulse',
  'Band',
  '3',
  '?',
  '手环',
  '可以',
  '游泳',
  '吗',
  '？',
  'refund',
  'NOW',
  '<script>alert(1)</script>',
  '&amp;',
  '=?',
  '\u202e',
  '\u0000',
  '\t',
  '>',
  'On Mon, Anna wrote:',
  '--',
  'Best regards,',
);
const line = fc.array(word, { maxLength: 30 }).map((words) => words.join(' '));
const hostileBody = fc.constantFrom(
  `Can I swim?${' '.repeat(50_000)}x`,
  '？'.repeat(30_000),
  `${'> '.repeat(20_000)}quoted`,
  `thanks${'\n'.repeat(20_000)}`,
  `${'<div>'.repeat(5000)}deep${'</div>'.repeat(5000)}`,
  `${'a'.repeat(100_000)}`,
  'x\r\n.\r\nRCPT TO:<victim@target.example>\r\n',
);
const text = fc.oneof({ weight: 4, arbitrary: fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n')) }, { weight: 1, arbitrary: hostileBody });

const charset = fc.constantFrom('utf-8', 'gbk', 'gb2312', 'big5', 'iso-8859-1', 'x-unknown-charset', '"utf-8', '');
const encoding = fc.constantFrom('7bit', '8bit', 'base64', 'quoted-printable', 'x-bogus', '');

function encode(body: string, transfer: string): string {
  if (transfer === 'base64') return Buffer.from(body, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  if (transfer === 'quoted-printable')
    return body.replace(/[=\u0080-\uffff]/g, (char) => [...Buffer.from(char, 'utf8')].map((byte) => `=${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  return body;
}

type Part = { kind: 'leaf'; type: string; charset: string; encoding: string; body: string; filename?: string } | { kind: 'multi'; subtype: string; boundary: string; parts: Part[]; broken: boolean };

const leaf: fc.Arbitrary<Part> = fc.record({
  kind: fc.constant('leaf' as const),
  type: fc.constantFrom('text/plain', 'text/html', 'application/pdf', 'message/rfc822', 'image/png', 'text/calendar', ''),
  charset,
  encoding,
  body: text,
  filename: fc.option(fc.constantFrom('manual.pdf', '../../etc/passwd', '=?utf-8?b?5oql5ZGKLnBkZg==?=', 'a'.repeat(300)), { nil: undefined }),
});

const tree: fc.Arbitrary<Part> = fc.letrec<{ part: Part }>((tie) => ({
  part: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({
      kind: fc.constant('multi' as const),
      subtype: fc.constantFrom('mixed', 'alternative', 'related', 'report', 'digest'),
      boundary: fc.constantFrom('b1', 'b2', '=_x', 'same', ''),
      parts: fc.array(tie('part'), { maxLength: 4 }),
      broken: fc.boolean(),
    }),
  ),
})).part;

function render(part: Part, depth = 0): { headers: string; body: string } {
  if (part.kind === 'leaf') {
    const type = part.type ? `${part.type}${part.charset ? `; charset=${part.charset}` : ''}${part.filename ? `; name="${part.filename}"` : ''}` : '';
    const headers = [type && `Content-Type: ${type}`, part.encoding && `Content-Transfer-Encoding: ${part.encoding}`, part.filename && `Content-Disposition: attachment; filename="${part.filename}"`]
      .filter(Boolean)
      .join('\r\n');
    return { headers, body: encode(part.body, part.encoding) };
  }
  const boundary = `${part.boundary}${part.boundary === 'same' ? '' : depth}`;
  const children = part.parts.map((child) => render(child, depth + 1));
  const body = children.map((child) => `--${boundary}\r\n${child.headers}\r\n\r\n${child.body}\r\n`).join('') + (part.broken ? '' : `--${boundary}--\r\n`);
  return { headers: `Content-Type: multipart/${part.subtype}; boundary="${boundary}"`, body };
}

const displayName = fc.constantFrom(
  'Anna Smith',
  '<img src=x onerror=alert(10)>',
  '"Evil\r\nBcc: victim@target.example"',
  '=?utf-8?b?5byg5Lyf?=',
  'x'.repeat(2000),
  '',
  '\u202eevil',
  'Lumora Support',
);
const address = fc.constantFrom('anna@acme.example', 'support@lumora.example', 'mallory@attacker.example', 'MAILER-DAEMON@mx.example', 'not-an-address', '');
const extraHeader = fc.constantFrom(
  '',
  'Auto-Submitted: auto-replied',
  'Precedence: bulk',
  'List-Id: <list.example>',
  'Reply-To: victim@target.example',
  'Subject: second subject',
  `X-Long: ${'y'.repeat(20_000)}`,
  'Bcc: victim@target.example',
  'In-Reply-To: <kefu-00000000-0000-0000-0000-000000000000@lumora.example>',
  `References: ${Array.from({ length: 500 }, (_, index) => `<r${index}@x.example>`).join(' ')}`,
  'Content-Type: text/plain; charset=utf-8',
);

/** One random message, as raw bytes; `tag` keeps Message-IDs new across runs. */
export const randomMail = (tag: string) =>
  fc
    .record({
      name: displayName,
      from: address,
      subject: fc.oneof(line, fc.constantFrom('Re: Re: Fwd: 回复：', 'Battery\r\nBcc: victim@target.example', '=?utf-8?q?=E6=89=8B=E7=8E=AF?=', 's'.repeat(5000))),
      extra: fc.array(extraHeader, { maxLength: 3 }),
      root: tree,
      id: fc.nat(),
      withId: fc.boolean(),
      lf: fc.boolean(),
    })
    .map((mail) => {
      const rendered = render(mail.root);
      const headers = [
        `From: ${mail.name ? `${mail.name} ` : ''}<${mail.from}>`,
        'To: support@lumora.example',
        `Subject: ${mail.subject}`,
        mail.withId ? `Message-ID: <fuzz-${mail.id}-${tag}@fuzz.example>` : '',
        'MIME-Version: 1.0',
        ...mail.extra,
        rendered.headers,
      ]
        .filter(Boolean)
        .join('\r\n');
      const raw = `${headers}\r\n\r\n${rendered.body}`;
      // Some mail arrives with bare LF line ends.
      return Buffer.from(mail.lf ? raw.replace(/\r\n/g, '\n') : raw, 'utf8');
    });

/** `count` random mails from a fixed seed (a failure reproduces). */
export const sampleMails = (count: number, seed: number, tag: string) => fc.sample(randomMail(tag), { numRuns: count, seed });
