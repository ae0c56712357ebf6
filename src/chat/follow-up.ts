import type { ChatModel } from '../answer/chat-model.js';
import { type ProductLineClassifier, UNKNOWN_LINE } from '../classify/product-lines.js';
import type { Language } from '../text/language.js';
import type { Turn } from './session-store.js';

export interface ResolvedQuestion {
  /** What retrieval searches for: the question made standalone. */
  retrievalQuestion: string;
  /** Earlier text to classify with, when the question alone names no product line. */
  classificationContext?: string;
  isFollowUp: boolean;
  condensedBy: 'none' | 'rule' | 'llm';
}

// Words that point back at something said before: "it", "that one", "它", "那个", "…呢".
const ANAPHORA = /\b(it|its|it's|that|this|those|these|they|them|one|what about|how about|and the|also|too)\b|它|这个|那个|这款|那款|该产品|那么|还有|呢[？?]?$|吗[？?]?$/i;

/**
 * Makes a follow-up ("那它支持安卓吗？", "what about the return window?") answerable on its own.
 * With an LLM, it asks the model to rewrite the question; without one (or when the model fails), it applies
 * a rule: classify with the previous questions, and add the previous question's product names and keywords.
 */
export async function resolveFollowUp(
  question: string,
  history: Turn[],
  classifier: ProductLineClassifier,
  options: { chatModel?: ChatModel; lang: Language; signal?: AbortSignal } = { lang: 'en' },
): Promise<ResolvedQuestion> {
  const previous = history.at(-1);
  if (!previous) return { retrievalQuestion: question, isFollowUp: false, condensedBy: 'none' };
  const own = classifier.classify(question);
  const isFollowUp = own.productLine === UNKNOWN_LINE || ANAPHORA.test(question.trim());
  if (!isFollowUp) return { retrievalQuestion: question, isFollowUp: false, condensedBy: 'none' };

  const recentQuestions = history.slice(-3).map((turn) => turn.question);
  const classificationContext = own.productLine === UNKNOWN_LINE ? recentQuestions.join('\n') : undefined;
  if (options.chatModel) {
    const condensed = await condenseWithModel(question, history.slice(-3), options.chatModel, options.lang, options.signal).catch(() => undefined);
    if (condensed) return { retrievalQuestion: condensed, classificationContext, isFollowUp, condensedBy: 'llm' };
  }
  const carried = classifier.classify(previous.question).matched;
  const terms = carried.length ? [...new Set(carried)].slice(0, 4).join(' ') : previous.question;
  return { retrievalQuestion: `${question} ${terms}`, classificationContext, isFollowUp, condensedBy: 'rule' };
}

async function condenseWithModel(question: string, turns: Turn[], model: ChatModel, lang: Language, signal?: AbortSignal): Promise<string | undefined> {
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
