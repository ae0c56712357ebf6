import { existsSync } from 'node:fs';
import path from 'node:path';

/** The settings that name a file or folder of the knowledge folder (`knowledge/…` by default, src/config). */
const KNOWLEDGE_FILES: Record<string, string> = {
  PRODUCT_LINES_FILE: 'product-lines.yaml',
  CURATED_DIR: 'curated',
  PROMPTS_DIR: 'prompts',
  INTENTS_FILE: 'intents.yaml',
  EMAIL_REVIEW_RULES_FILE: 'email-review.yaml',
  SOURCES_FILE: 'sources.yaml',
};

/**
 * With KNOWLEDGE_DIR set to another folder (a test's copy of knowledge/), the knowledge-folder settings not given
 * point into it, as they point into knowledge/ by default: each file the folder holds, or that knowledge/ does not
 * hold either. Left at knowledge/, ingestion excluded the original's prompts/ and took the copy's prompt templates
 * for documents, and the table matched no table of the original folder in the run's cache (a second ingestion of
 * the whole sample per run).
 */
export function inKnowledgeFolder(overrides: Record<string, string>): Record<string, string> {
  const folder = overrides.KNOWLEDGE_DIR;
  if (!folder) return overrides;
  const moved = Object.entries(KNOWLEDGE_FILES).filter(([key, name]) => !(key in overrides) && (existsSync(path.join(folder, name)) || !existsSync(path.join('knowledge', name))));
  return { ...Object.fromEntries(moved.map(([key, name]) => [key, path.join(folder, name)])), ...overrides };
}
