import { type SourceDocument, UnreadableFileError } from '../document.js';
import { decodeText, titleFromPath } from './text-content.js';

/** Plain text: the first line is the title when it is short, the rest is one section. */
export function loadPlainText(buffer: Buffer, relativePath: string): SourceDocument[] {
  const text = decodeText(buffer);
  const [firstLine, ...rest] = text.trim().split('\n');
  const hasTitleLine = firstLine.length <= 80 && rest.join('').trim().length > 0;
  const title = hasTitleLine ? firstLine.trim() : titleFromPath(relativePath);
  const body = (hasTitleLine ? rest.join('\n') : text).trim();
  if (!body) throw new UnreadableFileError('no text content');
  return [{ docId: relativePath, sourcePath: relativePath, title, kind: 'passage', sections: [{ headingPath: [], text: body }] }];
}
