/**
 * Separates what the customer wrote now from the quoted earlier mail and the signature below it. Mail clients
 * mark neither reliably, so this reads the conventions the common ones use (Gmail, Outlook, Apple Mail,
 * Foxmail/QQ, NetEase), in English and Chinese: a quote header ("On … wrote:", "在…写道：", "-----Original
 * Message-----", "-----原始邮件-----", an Outlook "From:/发件人:" block), ">"-prefixed lines, the RFC 3676
 * "-- " signature delimiter, "Sent from my iPhone"-style footers, and a short sign-off block at the end.
 */
export interface ReplyParts {
  /** The new text: what the reply answers. */
  text: string;
  /** Earlier mail quoted below (or between) it. */
  quoted: string;
  /** The signature and sign-off, including the writer's name. */
  signature: string;
}

const QUOTE_HEADER = [
  /^On\b.{0,200}\bwrote:\s*$/i,
  /^Le\b.{0,200}\ba écrit\s*:\s*$/i,
  /^在.{0,200}写道[:：]\s*$/,
  /^.{0,200}于.{0,200}写道[:：]\s*$/,
  /^-{2,}\s*(Original Message|Forwarded message|原始邮件|原邮件|转发邮件|转发的邮件)\s*-{2,}\s*$/i,
  /^_{10,}\s*$/,
];
// An Outlook/Foxmail header block: "From:" or "发件人：" followed closely by its date/to/subject lines.
const HEADER_START = /^\*?(From|发件人)\*?\s*[:：]/i;
const HEADER_FOLLOW = /^\*?(Sent|Date|To|Cc|Subject|发送时间|时间|日期|收件人|抄送|主题)\*?\s*[:：]/i;
const SIGNATURE_DELIMITER = /^--\s?$/;
const MOBILE_FOOTER = /^(Sent from my \w+|Sent from (Mail|Outlook) for|Get Outlook for|发自我的\s*\S+|从我的\s*\S+\s*发送|来自\s*\S+\s*客户端|发自网易邮箱|发自\s*QQ\s*邮箱)/i;
const SIGN_OFF = /^(best( regards| wishes)?|kind regards|warm regards|regards|many thanks|thanks( a lot| again| in advance)?|thank you( very much)?|cheers|sincerely( yours)?|yours( truly| sincerely)?|此致|敬礼|谢谢(您|你)?|多谢|祝好|顺祝商祺|顺颂商祺|期待(您的)?回复)[,，.!！。\s]*$/i;

const NAME_LINE = /^(\p{Lu}[\p{Ll}'-]+( \p{Lu}[\p{Ll}'.-]*){0,2}|[\u4e00-\u9fff]{2,4})$/u;

/** Quote headers are short; a longer line is never one, and is not run through their patterns (bounded cost per line). */
const MAX_HEADER_LINE = 500;

function quoteStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length > MAX_HEADER_LINE) continue;
    // Gmail wraps a long "On … wrote:" over two lines.
    const joined = i + 1 < lines.length ? `${line} ${lines[i + 1]!.trim()}` : line;
    if (QUOTE_HEADER.some((pattern) => pattern.test(line))) return i;
    if (/^On\b/i.test(line) && /\bwrote:\s*$/i.test(joined) && !/\bwrote:/i.test(line)) return i;
    if (HEADER_START.test(line) && lines.slice(i + 1, i + 5).some((next) => HEADER_FOLLOW.test(next.trim()))) return i;
  }
  return -1;
}

function signatureStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    if (SIGNATURE_DELIMITER.test(lines[i]!) || MOBILE_FOOTER.test(lines[i]!.trim())) return i;
  }
  // A sign-off near the end, followed by at most a few short lines (name, title, phone).
  let last = lines.length - 1;
  while (last > 0 && !lines[last]!.trim()) last--;
  for (let i = Math.max(0, last - 6); i <= last; i++) {
    const line = lines[i]!.trim();
    if (!SIGN_OFF.test(line)) continue;
    const after = lines.slice(i + 1, last + 1).filter((rest) => rest.trim());
    if (after.length <= 4 && after.every((rest) => rest.trim().length <= 60)) return i;
  }
  // A name alone on the last line, after a blank line ("Maria", "张伟").
  const lastLine = lines[last]?.trim() ?? '';
  if (last >= 2 && !lines[last - 1]!.trim() && NAME_LINE.test(lastLine)) return last;
  return -1;
}

/**
 * Trailing blanks dropped from every line and runs of blank lines folded to one, line by line: the regular
 * expressions this replaces (`/[ \t]+\n/g`) rescanned a run of spaces from each of its positions, so one
 * mail of 100 KB of spaces held the event loop for seconds.
 */
function clean(lines: string[]): string {
  const out: string[] = [];
  let blanks = 0;
  for (const line of lines) {
    const trimmed = trimEndBlanks(line);
    blanks = trimmed ? 0 : blanks + 1;
    if (blanks < 2) out.push(trimmed);
  }
  return out.join('\n').trim();
}

function trimEndBlanks(line: string): string {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  return end === line.length ? line : line.slice(0, end);
}

export function splitReply(body: string): ReplyParts {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const start = quoteStart(lines);
  const own = start >= 0 ? lines.slice(0, start) : lines;
  const quotedLines = start >= 0 ? lines.slice(start) : [];
  // Interleaved or bottom quoting with ">" and no header.
  const kept: string[] = [];
  for (const line of own) {
    if (/^\s*>/.test(line)) quotedLines.push(line);
    else kept.push(line);
  }
  const signature = signatureStart(kept);
  const text = clean(signature >= 0 ? kept.slice(0, signature) : kept);
  return {
    // A message that is all quote or signature ("see below", forwarded): keep the whole as the text rather than nothing.
    text: text || clean(lines),
    quoted: clean(quotedLines),
    signature: signature >= 0 ? clean(kept.slice(signature)) : '',
  };
}
