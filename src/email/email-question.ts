import { joinSentences, splitSentences } from '../text/sentences.js';

/**
 * What retrieval is asked for one e-mail. A mail is longer than a chat question: a greeting, the story, the
 * question, thanks. Retrieved as a whole, the story dilutes it (measured on the sample: the Pulse Band mail
 * scored 0.49 answerability whole, 0.83 as its question), so the question sentences are taken with the
 * sentence before each, which usually says what "it" is; a mail without a question mark is taken whole.
 * The subject leads only a first message without a question sentence.
 */
const GREETING = /^(hi|hello|hey|dear\b[^.?!]{0,60}|good (morning|afternoon|evening)\b[^.?!]{0,40}|greetings|to whom it may concern|您好|你好|尊敬的[^。？！]{0,20}|[^。？！,，]{0,20}[，,]?\s*(您好|你好))\s*[,，:：!！。.]?$/i;
const QUESTION_END = /[?？]["”』」)）]*$/;

export function emailQuestion(subject: string, text: string, options: { maxChars: number; inThread: boolean }): string {
  const sentences = splitSentences(text).filter((sentence) => !GREETING.test(sentence.trim()));
  const picked = new Set<number>();
  sentences.forEach((sentence, index) => {
    if (!QUESTION_END.test(sentence.trim())) return;
    if (index > 0) picked.add(index - 1);
    picked.add(index);
  });
  const body = picked.size ? joinSentences([...picked].sort((a, b) => a - b).map((index) => sentences[index]!)) : joinSentences(sentences) || text;
  // A stated question stands best alone (the subject only repeated it, and lowered answerability on the sample:
  // 0.83 → 0.61); without one, the subject of a first message says what the mail is about.
  const lead = !picked.size && !options.inThread && subject && !body.toLowerCase().includes(subject.toLowerCase()) ? `${subject}\n` : '';
  return `${lead}${body}`.slice(0, options.maxChars);
}
