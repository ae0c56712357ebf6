import { modelFingerprint } from '../answer/answerability.js';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import type { CalibrationHook } from '../ingest/run-ingestion.js';
import { HybridRetriever } from '../retrieve/hybrid-retriever.js';
import { CALIBRATION_RULES, DEFAULT_CONFIDENT_TARGET, selfCalibrate } from './self-calibration.js';

/** What calibrations stored before the confident target was recorded were made with. */
const LEGACY_CONFIDENT_TARGET = 0.3;

/**
 * Self-calibration as ingestion's hook: the composition root (src/ingest-knowledge-base.ts, the eval) hands it
 * to runIngestion, which itself knows nothing of retrieval or answering. A stored calibration stands until
 * the answerability model it was measured with changes, or the calibration rules (CALIBRATION_RULES), or either
 * target it was chosen for: a cached table (the eval's, or a knowledge base re-ingested unchanged) must never serve
 * a band calibrated for other settings.
 */
export function selfCalibrationHook(embedders: EmbeddingSpaces, target: number, confidentTarget?: number): CalibrationHook {
  return {
    isCurrent: (calibration) =>
      calibration.model === modelFingerprint() &&
      (calibration.rules ?? 1) === CALIBRATION_RULES &&
      calibration.target === target &&
      (calibration.confidentTarget ?? LEGACY_CONFIDENT_TARGET) === (confidentTarget ?? DEFAULT_CONFIDENT_TARGET),
    calibrate: (store, version) => selfCalibrate({ source: store, retriever: new HybridRetriever(embedders, store), version, target, confidentTarget }),
  };
}
