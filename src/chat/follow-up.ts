import type { ChatModel } from '../answer/chat-model.js';
import { type ProductLineClassifier, UNKNOWN_LINE } from '../classify/product-lines.js';
import type { Language } from '../text/language.js';
import type { Turn } from './session-store.js';
import type { FollowUpCandidate } from '../answer/answer-service.js';
import { contentTerms } from '../text/terms.js';

// Words that point back at something said before: "it", "that one", "它", "那个", "…呢".
const ANAPHORA = /\b(it|its|it's|that|this|those|these|they|them|one|what about|how about|and the|also|too)\b|它|这个|那个|这款|那款|该产品|那么|还有|呢[？?]?$/i;

/**
 * The standalone reading of a question asked in a conversation, and what hints whether it is one. Whether
 * it is used is decided later, on retrieval evidence (AnswerService → chooseFollowUp): this only prepares
 * the candidate. With an LLM, the model rewrites the question; without one (or when it fails), a rule adds
 * the previous question's product names and keywords.
 */
export async function resolveFollowUp(
  question: string,
  history: Pick<Turn, 'question' | 'answer'>[],
  classifier: ProductLineClassifier,
  options: { chatModel?: ChatModel; lang: Language; signal?: AbortSignal } = { lang: 'en' },
): Promise<(FollowUpCandidate & { condensedBy: 'rule' | 'llm' }) | undefined> {
  const previous = history.at(-1);
  if (!previous) return undefined;
  const namesOwnLine = classifier.classify(question).productLine !== UNKNOWN_LINE;
  // Too short to stand alone ("Android?", "价格呢"): ellipsis, like a pronoun.
  const hanCharacters = question.match(/[\u3400-\u9fff]/g)?.length ?? 0;
  const anaphoric = ANAPHORA.test(question.trim()) || (hanCharacters > 0 ? hanCharacters <= 4 : contentTerms(question).size <= 1);
  const recentQuestions = history.slice(-3).map((turn) => turn.question);
  const classificationContext = recentQuestions.join('\n');
  if (options.chatModel) {
    const condensed = await condenseWithModel(question, history.slice(-3), options.chatModel, options.lang, options.signal).catch(() => undefined);
    if (condensed) return { question: condensed, classificationContext, anaphoric, namesOwnLine, condensedBy: 'llm' };
  }
  const carried = classifier.classify(previous.question).matched;
  const terms = carried.length ? [...new Set(carried)].slice(0, 4).join(' ') : previous.question;
  return { question: `${question} ${terms}`, classificationContext, anaphoric, namesOwnLine, condensedBy: 'rule' };
}

async function condenseWithModel(question: string, turns: Pick<Turn, 'question' | 'answer'>[], model: ChatModel, lang: Language, signal?: AbortSignal): Promise<string | undefined> {
  const conversation = turns.map((turn) => `Q: ${turn.question}\nA: ${turn.answer.slice(0, 300)}`).join('\n');
  const instruction =
    lang === 'zh'
      ? '把用户的追问改写成一个不依赖上下文、可以单独理解的问题，保留产品名称，用中文，只输出问题本身。'
      : 'Rewrite the follow-up as one standalone question that can be understood without the conversation. Keep product names, use English, and output only the question.';
  let text = '';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  signal?.addEventListener('abort', () => controller.abort(), { once: true });
  try {
    for await (const delta of model.stream(
      [
        { role: 'system', content: instruction },
        { role: 'user', content: `${conversation}\n\nFollow-up: ${question}` },
      ],
      { signal: controller.signal, maxTokens: 96, temperature: 0 },
    )) {
      text += delta;
    }
  } finally {
    clearTimeout(timer);
  }
  const condensed = text.trim().split('\n')[0]?.trim();
  return condensed && condensed.length <= 500 ? condensed : undefined;
}
