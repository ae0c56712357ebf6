import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/**
 * Reads one of the YAML rule files kept in knowledge/ (product lines, intents, curated answers) and checks it
 * against its schema; a bad file stops start-up with the file and every field at fault. `missing` is what a file
 * that does not exist stands for; without it, a missing file is an error too.
 */
export async function readRulesFile<T extends z.ZodType>(file: string, schema: T, what: string, missing?: z.infer<T>): Promise<z.infer<T>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (missing !== undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return missing;
    throw error;
  }
  const result = schema.safeParse(parseYaml(text));
  if (!result.success) throw new Error(`Invalid ${what} in ${file}: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return result.data;
}
