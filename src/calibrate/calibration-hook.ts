import { modelFingerprint } from '../answer/answerability.js';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import type { CalibrationHook } from '../ingest/run-ingestion.js';
import { HybridRetriever } from '../retrieve/hybrid-retriever.js';
import { selfCalibrate } from './self-calibration.js';

/**
 * Self-calibration as ingestion's hook: the composition root (src/ingest-knowledge-base.ts, the eval) hands it
 * to runIngestion, which itself knows nothing of retrieval or answering. A stored calibration stands until
 * the answerability model it was measured with changes.
 */
export function selfCalibrationHook(embedders: EmbeddingSpaces, target: number, confidentTarget?: number): CalibrationHook {
  return {
    isCurrent: (calibration) => calibration.model === modelFingerprint(),
    calibrate: (store, version) => selfCalibrate({ source: store, retriever: new HybridRetriever(embedders, store), version, target, confidentTarget }),
  };
}
