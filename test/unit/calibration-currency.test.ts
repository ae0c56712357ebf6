import { describe, expect, it } from 'vitest';
import { modelFingerprint } from '../../src/answer/answerability.js';
import { selfCalibrationHook } from '../../src/calibrate/calibration-hook.js';
import { CALIBRATION_RULES } from '../../src/calibrate/self-calibration.js';
import type { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import type { Calibration } from '../../src/store/knowledge-store.js';

// isCurrent never touches the embedders (only calibrating does).
const embedders = {} as EmbeddingSpaces;
const stored = (extra: Partial<Calibration> = {}): Calibration => ({
  version: 3,
  at: '2026-12-07T00:00:00.000Z',
  target: 0.05,
  model: modelFingerprint(),
  languages: {},
  rules: CALIBRATION_RULES,
  ...extra,
});

describe('a stored calibration stands only for the settings it was chosen with', () => {
  it('is kept when the model and both targets are the ones in force', () => {
    expect(selfCalibrationHook(embedders, 0.05, 0.3).isCurrent(stored({ confidentTarget: 0.3 }))).toBe(true);
    expect(selfCalibrationHook(embedders, 0.05, 0.1).isCurrent(stored({ confidentTarget: 0.1 }))).toBe(true);
  });

  it('is measured again when the confident target moved (a cached eval table must not serve the old band)', () => {
    expect(selfCalibrationHook(embedders, 0.05, 0.1).isCurrent(stored({ confidentTarget: 0.3 }))).toBe(false);
    expect(selfCalibrationHook(embedders, 0.05, 0.3).isCurrent(stored({ confidentTarget: 0.1 }))).toBe(false);
  });

  it('is measured again when the false-refusal target or the model moved', () => {
    expect(selfCalibrationHook(embedders, 0.1, 0.3).isCurrent(stored({ confidentTarget: 0.3 }))).toBe(false);
    expect(selfCalibrationHook(embedders, 0.05, 0.3).isCurrent(stored({ confidentTarget: 0.3, model: 'another-model' }))).toBe(false);
  });

  it('is measured again when it was made under older calibration rules (the refusal cut raised by up to 0.1)', () => {
    expect(selfCalibrationHook(embedders, 0.05, 0.3).isCurrent(stored({ confidentTarget: 0.3, rules: undefined }))).toBe(false);
    expect(selfCalibrationHook(embedders, 0.05, 0.3).isCurrent(stored({ confidentTarget: 0.3, rules: 1 }))).toBe(false);
  });

  it('reads a calibration stored before the confident target was recorded as made at the old default, 0.3', () => {
    expect(selfCalibrationHook(embedders, 0.05).isCurrent(stored())).toBe(true);
    expect(selfCalibrationHook(embedders, 0.05, 0.3).isCurrent(stored())).toBe(true);
    expect(selfCalibrationHook(embedders, 0.05, 0.2).isCurrent(stored())).toBe(false);
  });
});
