import { CROSS_LINGUAL_DEFAULT_THRESHOLD } from './stages.js';
import type { Calibration } from '../store/knowledge-store.js';
import type { Language } from '../text/language.js';
import { type AnswerabilityModel, DEFAULT_ANSWERABILITY_MODEL, modelFingerprint } from './answerability.js';
import type { Band } from './stages.js';

export type ThresholdSource = 'setting' | 'calibrated' | 'model-default';

/**
 * Which answerability cuts are in force. The refusal threshold and the confident (answer) threshold are each
 * resolved the same way: a setting wins; otherwise the one ingestion calibrated for the serving knowledge version;
 * otherwise the model's fitted default. The answer threshold is never below the refusal threshold (no band).
 * Calibrations are read once per version, so following a new version costs one file read.
 */
export class RefusalThresholds {
  private cached?: { version: number; calibration?: Calibration };
  /** Hashing the model is not free and it never changes while serving: once. */
  private readonly fingerprint: string;

  constructor(
    private readonly options: {
      explicit: Partial<Record<Language | 'other', number>>;
      /** ANSWER_THRESHOLD_ZH / _EN. */
      explicitAnswer?: Partial<Record<Language, number>>;
      currentVersion: () => Promise<number>;
      calibration: (version: number) => Promise<Calibration | undefined>;
      model?: AnswerabilityModel;
    },
  ) {
    this.fingerprint = modelFingerprint(options.model);
  }

  /** `version`: the knowledge version the caller answers from, when it has read it already (one read per answer). */
  /**
   * `lang`: a knowledge-base language, or "other" for a question in any other language (searched in the
   * multilingual space and decided by the cross-lingual model, with its own band).
   */
  async resolve(lang: Language | 'other', version?: number): Promise<{ threshold: number; answerThreshold: number; source: ThresholdSource }> {
    const explicit = this.options.explicit[lang];
    const explicitAnswer = lang === 'other' ? undefined : this.options.explicitAnswer?.[lang];
    let calibrated: { threshold: number; answerThreshold?: number } | undefined;
    if (explicit === undefined || explicitAnswer === undefined) {
      version ??= await this.options.currentVersion();
      if (this.cached?.version !== version) this.cached = { version, calibration: await this.options.calibration(version).catch(() => undefined) };
      const calibration = this.cached.calibration;
      // A threshold measured with another answerability model (before an upgrade) does not apply to this one.
      calibrated = calibration?.model === this.fingerprint ? calibration.languages[lang] : undefined;
    }
    const fitted = (this.options.model ?? DEFAULT_ANSWERABILITY_MODEL).models[lang];
    // An older model file has no cross-lingual model: the multilingual cosine's cut, one cut.
    const fallback = fitted?.threshold ?? CROSS_LINGUAL_DEFAULT_THRESHOLD;
    const threshold = explicit ?? calibrated?.threshold ?? fallback;
    const source: ThresholdSource = explicit !== undefined ? 'setting' : calibrated ? 'calibrated' : 'model-default';
    // A refusal threshold set by hand without a confident cut keeps its meaning: one cut, no middle band.
    const answer = explicitAnswer ?? (explicit !== undefined ? explicit : (calibrated?.answerThreshold ?? fitted?.answerThreshold ?? threshold));
    return { threshold, answerThreshold: Math.max(threshold, answer), source };
  }

  threshold = async (lang: Language | 'other', version?: number): Promise<number> => (await this.resolve(lang, version)).threshold;

  band = async (lang: Language | 'other', version?: number): Promise<Band> => {
    const resolved = await this.resolve(lang, version);
    return { refuse: resolved.threshold, answer: resolved.answerThreshold };
  };
}
