import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { AhoCorasick } from './aho-corasick.js';

/**
 * The sensitive-word lexicon: a text file per deployment, `[category]` lines opening a section and one term per
 * line (`#` starts a comment). Read again whenever the file changes (checked every `reloadSeconds`), so an
 * operator edits it without a restart; a file that cannot be read keeps the terms in force and is logged.
 */
export interface LexiconEntry {
  term: string;
  category: string;
}

export function parseLexicon(text: string): LexiconEntry[] {
  const entries: LexiconEntry[] = [];
  let category = 'general';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const section = /^\[([\w-]{1,40})\]$/.exec(line);
    if (section) {
      category = section[1]!.toLowerCase();
      continue;
    }
    entries.push({ term: line, category });
  }
  return entries;
}

export interface ModerationHit {
  category: string;
  term: string;
}

export type ModerationPlace = 'question' | 'answer';

export interface ModerationOptions {
  reloadSeconds: number;
  logger?: Logger;
  /** Each hit, for `kefu_moderation_hits_total{category,where}`. */
  onHit?: (category: string, where: ModerationPlace) => void;
}

export class Moderation {
  private entries: LexiconEntry[] = [];
  private matcher = new AhoCorasick([]);
  private mtimeMs = -1;
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly file: string,
    private readonly options: ModerationOptions,
  ) {}

  static async load(file: string, options: ModerationOptions): Promise<Moderation> {
    const moderation = new Moderation(file, options);
    // At start-up a missing or unreadable lexicon is a configuration error, not a silent "no filter".
    await moderation.reload(true);
    if (options.reloadSeconds > 0) {
      moderation.timer = setInterval(() => void moderation.reload(false), options.reloadSeconds * 1000);
      moderation.timer.unref();
    }
    return moderation;
  }

  static fromEntries(entries: LexiconEntry[], options: Partial<ModerationOptions> = {}): Moderation {
    const moderation = new Moderation('', { reloadSeconds: 0, ...options });
    moderation.use(entries);
    return moderation;
  }

  private use(entries: LexiconEntry[]) {
    this.entries = entries;
    this.matcher = new AhoCorasick(entries.map((entry) => entry.term));
  }

  /** Reads the file again if it changed; returns whether it did. */
  async reload(strict = false): Promise<boolean> {
    try {
      const info = await stat(this.file);
      if (info.mtimeMs === this.mtimeMs) return false;
      const entries = parseLexicon(await readFile(this.file, 'utf8'));
      this.use(entries);
      this.mtimeMs = info.mtimeMs;
      this.options.logger?.info({ file: this.file, terms: entries.length }, 'moderation lexicon loaded');
      return true;
    } catch (error) {
      if (strict) throw new Error(`MODERATION_LEXICON_FILE: cannot read ${this.file} (${(error as Error).message})`);
      this.options.logger?.warn({ err: error, file: this.file }, 'moderation lexicon not reloaded; the previous terms stay in force');
      return false;
    }
  }

  get terms(): number {
    return this.entries.length;
  }

  private hit(patternIndex: number, where: ModerationPlace): ModerationHit {
    const entry = this.entries[patternIndex]!;
    this.options.onHit?.(entry.category, where);
    return { category: entry.category, term: entry.term };
  }

  /** The first lexicon term in `text`, counted; undefined when none. */
  check(text: string, where: ModerationPlace): ModerationHit | undefined {
    const match = this.matcher.search(text)[0];
    return match ? this.hit(match.pattern, where) : undefined;
  }

  /** A checker for streamed text: a term split across chunks is found when its last part arrives. */
  stream(where: ModerationPlace): { feed(chunk: string): ModerationHit | undefined } {
    const scanner = this.matcher.scanner();
    // The automaton of the moment the stream began: a reload mid-stream does not swap indexes under it.
    const entries = this.entries;
    return {
      feed: (chunk) => {
        const match = scanner.feed(chunk)[0];
        if (!match) return undefined;
        const entry = entries[match.pattern]!;
        this.options.onHit?.(entry.category, where);
        return { category: entry.category, term: entry.term };
      },
    };
  }

  stop() {
    clearInterval(this.timer);
  }
}

/** The reply to a question or answer the lexicon stops: no answer, and a person offered instead. */
export function moderationRefusal(lang: 'zh' | 'en', handoffContact: string): string {
  return lang === 'zh' ? `抱歉，这个问题我无法回答。如需帮助，请联系人工客服：${handoffContact}` : `Sorry, I can't help with that here. To reach a person: ${handoffContact}`;
}
