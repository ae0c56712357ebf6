import type { ChatModel } from '../answer/chat-model.js';
import type { Language } from '../text/language.js';

/** What the model said cannot be answered from the documents. */
const NO_ANSWER = 'NO_ANSWER';

const INSTRUCTIONS: Record<Language, string> = {
  en: `You write one entry of a product support FAQ. Answer the customer question using only the documents below, in two to four plain sentences, without citing them. If the documents do not contain the answer, reply exactly ${NO_ANSWER}.`,
  zh: `你在为产品客服常见问题撰写一条答案。只根据下面的资料回答客户的问题，用两到四句平实的话，不要注明出处。如果资料中没有答案，只回复 ${NO_ANSWER}。`,
};

/**
 * A first answer for a gap nobody has answered, from the documents nearest to it, by the deployment's chat model.
 * Undefined when the documents do not hold one (the model says so) or the model fails: the suggestion then
 * needs an author. A reviewer reads every drafted answer before it goes anywhere.
 */
export async function draftAnswer(
  model: ChatModel,
  question: string,
  lang: Language,
  documents: { title: string; text: string }[],
  options: { maxTokens: number; signal?: AbortSignal },
): Promise<string | undefined> {
  if (!documents.length) return undefined;
  const context = documents.map((document, index) => `[${index + 1}] ${document.title}\n${document.text}`).join('\n\n');
  let text = '';
  try {
    for await (const delta of model.stream(
      [
        { role: 'system', content: INSTRUCTIONS[lang] },
        { role: 'user', content: `${context}\n\n${lang === 'zh' ? '问题' : 'Question'}: ${question}` },
      ],
      { temperature: 0.2, maxTokens: options.maxTokens, signal: options.signal },
    ))
      text += delta;
  } catch {
    return undefined;
  }
  const answer = text.trim();
  return !answer || answer.includes(NO_ANSWER) ? undefined : answer;
}
