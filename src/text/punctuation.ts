/**
 * Full-width punctuation for Chinese answers, applied after generation (streamed text included): a model
 * asked for "，。" still writes "," and "." often enough. Only punctuation that belongs to Chinese text
 * changes: a mark right after a Han character, or before one. URLs, e-mail addresses, numbers (3.5, 1,000,
 * 10:30), file and model names (v1.2, config.json), inline code and code blocks, and English runs
 * ("Wi-Fi, Bluetooth") are left as written. Citation markers [1] are never touched.
 *
 * A character-level state machine, so a stream can be normalised as it arrives: a mark waits only for the
 * next character that decides it (and the spaces after it), then everything before is final.
 */
const FULL_WIDTH: Record<string, string> = { ',': '，', '.': '。', '?': '？', '!': '！', ':': '：', ';': '；', '(': '（', ')': '）' };
const HAN = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/;
const DIGIT = /[0-9]/;
const WORD = /[A-Za-z0-9_]/;
const SPACE = /[ \t]/;

export class FullWidthPunctuation {
  /** Text decided but not yet returned. */
  private out = '';
  /** A mark waiting for the next character, and the spaces seen after it. */
  private pending?: { mark: string; spaces: string };
  /** The last character written (after any conversion), spaces excluded. */
  private previous = '';
  /** The word being written, to spot "http", "https", "www" and e-mail addresses before ":" or ".". */
  private word = '';
  private inCode = false;
  /** Whether the sentence being written has Chinese in it: its final "." is then "。" even after "App". */
  private sentenceHasHan = false;
  private inLink = false;
  /** Whether each open "(" was converted, so its ")" matches. */
  private readonly parentheses: boolean[] = [];

  /** Feeds a chunk of the stream; returns the text that is final now. */
  push(text: string): string {
    for (const character of text) this.feed(character);
    return this.take();
  }

  /** Ends the stream: a mark still waiting is decided with nothing after it. */
  end(): string {
    if (this.pending) this.decide(undefined);
    return this.take();
  }

  private take(): string {
    const text = this.out;
    this.out = '';
    return text;
  }

  private feed(character: string): void {
    if (this.pending) {
      if (SPACE.test(character)) {
        this.pending.spaces += character;
        return;
      }
      this.decide(character);
    }
    if (character === '`') {
      this.inCode = !this.inCode;
      return this.write(character);
    }
    if (this.inCode) return this.write(character);
    if (this.inLink) {
      // A link ends at whitespace or where Chinese text resumes; a trailing mark is then the sentence's.
      if (/\s/.test(character) || HAN.test(character)) this.inLink = false;
      else if (/[,.?!;:)]/.test(character)) {
        this.pending = { mark: character, spaces: '' };
        return;
      } else return this.write(character);
    }
    if (character in FULL_WIDTH) {
      this.pending = { mark: character, spaces: '' };
      return;
    }
    this.write(character);
  }

  /** Decides the waiting mark now that `next` (undefined: the end) is known. */
  private decide(next: string | undefined): void {
    const { mark, spaces } = this.pending!;
    this.pending = undefined;
    const before = this.previous;
    const word = this.word;
    const nextIsHan = next !== undefined && HAN.test(next);
    let convert: boolean;
    if (this.inLink) {
      // Inside a link a mark followed by more link text is part of it ("a.com/b?c=1"); at its end it is punctuation.
      const ends = spaces !== '' || next === undefined || /\s/.test(next) || nextIsHan;
      convert = ends ? HAN.test(before) || nextIsHan || ('.?!'.includes(mark) && this.sentenceHasHan && (next === undefined || next === '\n')) : false;
      if (!convert && spaces === '' && next !== undefined && !/\s/.test(next) && !nextIsHan) return this.write(mark, { keepWord: true });
      this.inLink = false;
    } else if (mark === ':' && next === '/' && spaces === '') {
      this.inLink = true;
      convert = false;
    } else if ((mark === '.' || mark === ',' || mark === ':') && DIGIT.test(before) && next !== undefined && DIGIT.test(next) && spaces === '') {
      convert = false; // 3.5, 1,000, 10:30
    } else if (mark === '.' && spaces === '' && next !== undefined && WORD.test(next) && WORD.test(before)) {
      // config.json, v1.2, www.example.com, name@example.com
      if (/^(www|https?)$/i.test(word) || word.includes('@')) this.inLink = true;
      convert = false;
    } else if (mark === ')') {
      convert = this.parentheses.pop() ?? false;
    } else {
      // Next to Chinese text; or a sentence end (". ? !") that closes a sentence with Chinese in it ("…打开App.").
      const closesChineseSentence = '.?!'.includes(mark) && this.sentenceHasHan && (next === undefined || next === '\n' || nextIsHan);
      convert = HAN.test(before) || (nextIsHan && spaces === '' && !DIGIT.test(before)) || closesChineseSentence;
      if (mark === '(') this.parentheses.push(convert);
    }
    // A sentence ends at a converted mark, or at one followed by a space or the end (not at the "." of 2.5).
    if ('.?!'.includes(mark) && (convert || spaces !== '' || next === undefined || /\s/.test(next))) this.sentenceHasHan = false;
    if (convert) {
      // A full-width mark carries its own spacing: the spaces after it go (a line break stays).
      this.write(FULL_WIDTH[mark]);
      return;
    }
    this.write(mark);
    this.out += spaces;
  }

  private write(text: string, options: { keepWord?: boolean } = {}): void {
    this.out += text;
    if (HAN.test(text) && !'。？！'.includes(text)) this.sentenceHasHan = true;
    if (text === '\n' || '。？！'.includes(text)) this.sentenceHasHan = text === '\n' ? false : this.sentenceHasHan && !'。？！'.includes(text);
    if (!SPACE.test(text) && text !== '\n') this.previous = text.at(-1)!;
    if (options.keepWord || WORD.test(text) || text === '@' || text === '-') this.word += text;
    else this.word = '';
    if (text === '\n') this.previous = '';
  }
}

/** The whole text at once. */
export function toFullWidthPunctuation(text: string): string {
  const normalizer = new FullWidthPunctuation();
  return normalizer.push(text) + normalizer.end();
}
