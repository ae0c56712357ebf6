import { audienceList, normalizeAudiences } from '../../store/audiences.js';
import { UnreadableFileError } from '../document.js';

/**
 * A document's own audiences (front matter `audiences: [agents]`, a sheet's `audiences` column: a list or
 * "agents, partners"), undefined when it names none. A value that is not a list of audience names makes the
 * document unreadable: a typo must never publish what was meant for agents.
 */
export function audiencesField(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = audienceList.safeParse(value);
  if (!parsed.success) throw new UnreadableFileError(`invalid audiences ${JSON.stringify(value)}: ${parsed.error.issues[0]?.message}`);
  return normalizeAudiences(parsed.data);
}

/** Decodes a text file strictly: empty, binary (NUL bytes) or non-UTF-8 content is refused with a reason. */
export function decodeText(buffer: Buffer): string {
  if (buffer.length === 0) throw new UnreadableFileError('empty file');
  if (buffer.subarray(0, 8192).includes(0)) throw new UnreadableFileError('binary content in a text file');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw new UnreadableFileError('not valid UTF-8 text');
  }
  text = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (!text.trim()) throw new UnreadableFileError('empty file (whitespace only)');
  return text;
}

/** Falls back to the file name without extension, with separators turned into spaces. */
export function titleFromPath(relativePath: string): string {
  const base = relativePath.split('/').pop() ?? relativePath;
  return base.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ').trim();
}

/** A document's public address, when it declares one: only http(s), so a citation never links anywhere else. */
export function publicUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
