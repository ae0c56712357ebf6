import type { LanguageCode } from '../text/language.js';
import type { SourceInfo } from './answer-service.js';
import { messagesFor } from './message-catalogue.js';

/** One cited source as a line of plain text: "[1] Title — Section https://…" (its public page, when known). Internal paths stay out. */
export function sourceLine(source: SourceInfo): string {
  const heading = source.heading && source.heading !== source.title ? ` — ${source.heading}` : '';
  // An internal source (an agent-assist key's answer) says so in text too: chat clients show nothing else.
  return `[${source.n}] ${source.internal ? '[internal] ' : ''}${source.title}${heading}${source.url ? ` ${source.url}` : ''}`;
}

/** The answer's citations as a block to put under it, for clients that only show text; empty without citations. */
export function sourceList(citations: SourceInfo[], lang: LanguageCode): string {
  if (!citations.length) return '';
  return `${messagesFor(lang).sourcesHeading}\n${citations.map(sourceLine).join('\n')}`;
}
