import { CROSS_LINGUAL_DEFAULT_THRESHOLD } from './stages.js';
import type { Calibration } from '../store/knowledge-store.js';
import type { Language } from '../text/language.js';
import { type AnswerabilityModel, DEFAULT_ANSWERABILITY_MODEL, modelFingerprint } from './answerability.js';

export type ThresholdSource = 'setting' | 'calibrated' | 'model-default';

/**
 * Which answerability threshold is in force: a threshold set explicitly wins; otherwise the one ingestion
 * calibrated for the serving knowledge version; otherwise the model's fitted default. Calibrations are read
 * once per version, so following a new version costs one file read.
 */
export class RefusalThresholds {
  private cached?: { version: number; calibration?: Calibration };
  /** Hashing the model is not free and it never changes while serving: once. */
  private readonly fingerprint: string;

  constructor(
    private readonly options: {
      explicit: Partial<Record<Language | 'other', number>>;
      currentVersion: () => Promise<number>;
      calibration: (version: number) => Promise<Calibration | undefined>;
      model?: AnswerabilityModel;
    },
  ) {
    this.fingerprint = modelFingerprint(options.model);
  }

  /** `version`: the knowledge version the caller answers from, when it has read it already (one read per answer). */
  /** `lang`: a knowledge-base language, or "other" for a question in any other language (the multilingual space). */
  async resolve(lang: Language | 'other', version?: number): Promise<{ threshold: number; source: ThresholdSource }> {
    const explicit = this.options.explicit[lang];
    if (explicit !== undefined) return { threshold: explicit, source: 'setting' };
    version ??= await this.options.currentVersion();
    if (this.cached?.version !== version) this.cached = { version, calibration: await this.options.calibration(version).catch(() => undefined) };
    const calibration = this.cached.calibration;
    // A threshold measured with another answerability model (before an upgrade) does not apply to this one.
    const calibrated = calibration?.model === this.fingerprint ? calibration.languages[lang]?.threshold : undefined;
    if (calibrated !== undefined) return { threshold: calibrated, source: 'calibrated' };
    if (lang === 'other') return { threshold: CROSS_LINGUAL_DEFAULT_THRESHOLD, source: 'model-default' };
    return { threshold: (this.options.model ?? DEFAULT_ANSWERABILITY_MODEL).models[lang].threshold, source: 'model-default' };
  }

  threshold = async (lang: Language | 'other', version?: number): Promise<number> => (await this.resolve(lang, version)).threshold;
}
