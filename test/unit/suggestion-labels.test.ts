import { describe, expect, it } from 'vitest';
import { suggestionPool, suggestStage } from '../../src/answer/stages.js';
import { sameMeaningIn } from '../../src/answer/suggestion-dedup.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { type Candidate, fuseLists } from '../../src/retrieve/fusion.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';

const chunk = (docId: string, fields: Partial<ScoredChunk>): ScoredChunk =>
  ({
    id: `${docId}#0`,
    docId,
    score: 1,
    text: 'x',
    title: '',
    headingPath: '',
    sourcePath: docId,
    productLine: 'general',
    lang: 'en',
    kind: 'passage',
    searchText: 'x',
    contentHash: '',
    docHash: '',
    chunkIndex: 0,
    metadata: {},
    ...fields,
  }) as ScoredChunk;
const faq = (docId: string, question: string, answer: string, lang = 'en') => chunk(docId, { kind: 'faq', lang, title: question, text: `${question}\n${answer}`, metadata: { question, answer } });
const ranked = (chunks: ScoredChunk[]): Candidate[] => fuseLists([{ source: 'lexical' as const, hits: chunks }], { lexical: 1 });
const texts = (chunks: ScoredChunk[], lang: 'en' | 'zh' = 'en') => suggestStage(ranked(chunks), lang).map((suggestion) => suggestion.text);

describe('"did you mean" suggestions a customer can click and ask', () => {
  it('names the document a section heading belongs to, in its own language', () => {
    const manual = 'Lumora Drive Cam D1 Dash Camera — User Manual';
    const zhManual = '朗曜 Drive Cam D1 行车记录仪 使用说明书';
    expect(
      texts([
        chunk('in-car/drive-cam-d1-manual.en.md', { title: manual, headingPath: `${manual} > Parking mode`, text: 'Parking mode records when motion is detected.' }),
        chunk('wearables/pulse-watch-pro-manual.en.html', {
          title: 'Lumora Pulse Watch Pro — User Manual',
          headingPath: 'Lumora Pulse Watch Pro — User Manual > Resetting',
          text: 'Hold both buttons.',
        }),
      ]),
    ).toEqual(['Parking mode — Lumora Drive Cam D1 Dash Camera', 'Resetting — Lumora Pulse Watch Pro']);
    expect(texts([chunk('in-car/drive-cam-d1-manual.zh.md', { lang: 'zh', title: zhManual, headingPath: `${zhManual} > 停车监控`, text: '停车监控需要降压线。' })], 'zh')).toEqual([
      `停车监控 — ${zhManual}`,
    ]);
  });

  it('gives a passage without a heading a short label, never its first sentence', () => {
    const carplay = chunk('in-car/carplay-troubleshooting.en.txt', {
      title: 'Drive Link Troubleshooting — CarPlay and Android Auto',
      text: 'CarPlay does not start: make sure the car supports wired CarPlay by connecting your phone with a cable first. On the iPhone, check Settings.',
    });
    // A PDF page's text keeps its headings as lines; its section is headed by the page, which says nothing.
    const pdf = chunk('smart-home/glow-bulb-troubleshooting.en.pdf', {
      title: 'Lumora Glow Bulb — Troubleshooting Manual',
      headingPath: 'p. 1',
      text: 'Lumora Glow Bulb — Troubleshooting Manual\nThe bulb flickers\nFlickering usually means a dimmer switch.',
    });
    const quickStart = chunk('smart-home/lock-l1-quick-start.en.txt', {
      title: 'Lumora Lock L1 Smart Lock — Quick Start',
      text: 'The Lock L1 opens with a fingerprint, a PIN code, the Lumora Home app or the mechanical key. It stores 100 fingerprints.',
    });
    // A corpus line with no title of its own (the loader used its id).
    const untitled = chunk('doc-17', { title: 'doc-17', text: 'The warranty covers manufacturing defects in materials and workmanship for two years from the date of delivery. More.' });
    const labels = texts([carplay, pdf, quickStart]);
    expect(labels).toEqual(['CarPlay does not start — Drive Link Troubleshooting', 'The bulb flickers — Lumora Glow Bulb', 'Lumora Lock L1 Smart Lock — Quick Start']);
    const [plain] = texts([untitled]);
    expect(plain.length).toBeLessThanOrEqual(61);
    expect(plain).toMatch(/^The warranty covers manufacturing defects.*…$/);
  });

  it('still offers one suggestion per document when two documents share a heading and a title', () => {
    const page = (docId: string, text: string) => chunk(docId, { title: 'Help Center', headingPath: 'Help Center > Resetting', text });
    const labels = texts([page('help/a.html', 'Hold the button for ten seconds.'), page('help/b.html', 'Unplug the hub and plug it in again.')]);
    expect(labels).toHaveLength(2);
    expect(new Set(labels).size).toBe(2);
    expect(labels[0]).toBe('Resetting — Help Center');
  });
});

/** A stand-in model: each text's vector as given (unit length), every other text far from all. */
function fakeEmbedder(vectors: Record<string, number[]>): Embedder {
  const embed = (text: string) => {
    const vector = vectors[text] ?? [0, 0, 0, 1];
    const norm = Math.hypot(...vector);
    return Float32Array.from(vector, (value) => value / norm);
  };
  return { modelKey: 'fake', dimension: 4, maxEmbeddingsPerCall: 64, countTokens: (text) => text.length, embedPassages: async (texts) => texts.map(embed), embedQuery: async (text) => embed(text) };
}

describe('no two suggestions of one answer say the same thing', () => {
  const policy = '退货与退款政策';
  const applyFaq = faq('faq-g-027', '怎么申请退货？', '登录朗曜账号，在“我的订单”中选择“申请退货”，收到 RMA 编号后在 14 天内寄出。', 'zh');
  const applySection = chunk('policies/returns.zh.md', {
    lang: 'zh',
    title: policy,
    headingPath: `${policy} > 如何办理退货`,
    text: '1. 登录朗曜账号，进入“我的订单”，选择“申请退货”，或联系客服。 2. 您会通过短信或邮件收到退货授权编号（RMA）和退货地址。 3. 将商品及全部配件打包，在包装箱上写明 RMA 编号，并在 14 天内寄出。',
  });
  const shippingFaq = faq('faq-g-028', '退货运费谁出？', '七天无理由退货的运费由您承担；质量问题的运费由朗曜承担。', 'zh');
  const refundFaq = faq('faq-g-029', '退款多久到账？', '收到退货并检验后 3 个工作日内原路退款。', 'zh');

  it('offers a FAQ question and the policy section answering it once, and the next document in its place', async () => {
    const candidates = ranked([applyFaq, applySection, shippingFaq, refundFaq]);
    const pool = suggestionPool(candidates, 'zh');
    // What the FAQ question and the section heading ask is the same question; the other entries ask others.
    const embedder = fakeEmbedder({ '怎么申请退货？': [1, 0, 0, 0], 如何办理退货: [0.95, 0.31, 0, 0], [`如何办理退货 — ${policy}`]: [0.9, 0.43, 0, 0] });
    const same = await sameMeaningIn(pool, embedder);
    expect(suggestStage(candidates, 'zh', 3, 12, same).map((suggestion) => suggestion.text)).toEqual(['怎么申请退货？', '退货运费谁出？', '退款多久到账？']);
    // Without the test, both are offered side by side (the old behaviour).
    expect(suggestStage(candidates, 'zh').map((suggestion) => suggestion.docId)).toEqual(['faq-g-027', 'policies/returns.zh.md', 'faq-g-028']);
  });

  it('keeps sibling entries whose questions read alike but whose answers differ, and a section that answers more than the entry', async () => {
    const battery = faq('faq-b-001', 'How long does the Pulse Band 3 battery last?', 'About 10 days with typical use, 5 days with continuous heart-rate monitoring.');
    const charging = faq('faq-b-002', 'How long does it take to charge the Pulse Band 3?', 'Charging from empty to full takes two hours with the magnetic cable.');
    const orange = faq('faq-a-016', 'What does a solid orange light on the Hub H1 mean?', 'A solid orange light means the hub is not connected to the internet.');
    const lights = chunk('smart-home/hub-h1-guide.en.html', {
      title: 'Lumora Hub H1 — Setup and Status Lights',
      headingPath: 'Lumora Hub H1 — Setup and Status Lights > Status light colours',
      text: 'Blue blinking: ready to pair. Solid blue: connected. Solid orange: the hub is not connected to the internet. Red blinking: a firmware update failed; reset the hub.',
    });
    const candidates = ranked([battery, charging, orange, lights]);
    const pool = suggestionPool(candidates, 'en');
    // Every label as close to every other as a duplicate's would be (the siblings ask alike, 0.89 in bge-small-en);
    // only the section's bare heading asks something else than the orange-light question (0.65 in bge-small-en).
    const close = Object.fromEntries(pool.map((entry) => [entry.text, [1, 0.05, 0, 0]]));
    const same = await sameMeaningIn(pool, fakeEmbedder({ ...close, 'Status light colours': [0, 1, 0, 0] }));
    expect(suggestStage(candidates, 'en', 4, 12, same).map((suggestion) => suggestion.docId)).toEqual(['faq-b-001', 'faq-b-002', 'faq-a-016', 'smart-home/hub-h1-guide.en.html']);
  });
});

describe('the duplicate test is a refinement, never a failure', () => {
  it('an embedder that fails leaves the suggestions as they would be without the test', async () => {
    const { AnswerPipeline } = await import('../../src/answer/answer-pipeline.js');
    const failing = {
      modelKey: 'down',
      dimension: 2,
      countTokens: () => 1,
      embedQuery: async () => {
        throw new Error('embedding server down');
      },
      embedPassages: async () => {
        throw new Error('embedding server down');
      },
    } as unknown as Embedder;
    const embedders = { covering: () => [{ embedder: failing }] } as never;
    const pipeline = new AnswerPipeline({ embedders, sources: 3, refusalThreshold: async () => 0.5, retriever: undefined } as never);
    const chunks = [
      faq('a', 'How do I start a return?', 'Open your order and choose Return.'),
      faq('b', 'How to return an item', 'Open your order and choose Return.'),
      faq('c', 'Which countries do you ship to?', 'We ship to 30 countries.'),
    ];
    const suggestions = await pipeline.suggest(ranked(chunks), 'en');
    expect(suggestions.map((suggestion) => suggestion.text)).toEqual(texts(chunks));
  });
});
