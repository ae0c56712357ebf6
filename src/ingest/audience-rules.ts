import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { audienceList, normalizeAudiences } from '../store/audiences.js';

/**
 * Per-folder audiences: a `.audiences.yaml` in a folder of the knowledge base limits what lies in it (and below)
 * to audiences, and can name single files (how an upload with audiences is recorded, since a PDF has no front
 * matter):
 *
 *   audiences: [agents]            # every document in this folder and below
 *   files:
 *     price-sheet.pdf: [partners]  # this file only
 *
 * The nearest file wins, and within it a `files` entry before the folder's `audiences`. It is a dot file, so no
 * ingestion reads it as a document.
 */
export const AUDIENCES_FILE = '.audiences.yaml';

const rulesSchema = z
  .object({
    audiences: audienceList.optional(),
    files: z.record(z.string().min(1), audienceList).default({}),
  })
  .strict();
type FolderRules = z.infer<typeof rulesSchema>;

/** A `.audiences.yaml` that cannot be read: the documents under it fail to load rather than go out as public. */
export class AudienceRulesError extends Error {
  override name = 'AudienceRulesError';
}

async function readRules(file: string): Promise<FolderRules | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new AudienceRulesError(`${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parse(text) ?? {};
  } catch (error) {
    throw new AudienceRulesError(`${file}: not YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const result = rulesSchema.safeParse(data);
  if (!result.success) throw new AudienceRulesError(`${file}: ${result.error.issues.map((issue) => `${issue.path.join('.') || 'file'}: ${issue.message}`).join('; ')}`);
  return result.data;
}

/** The folder rules of one knowledge folder, each `.audiences.yaml` read once per run. */
export class FolderAudiences {
  private readonly rules = new Map<string, Promise<FolderRules | undefined>>();

  constructor(private readonly root: string) {}

  /** The audiences the folder rules give a file (relative to the root), or undefined when none does. Throws AudienceRulesError. */
  async forFile(relativePath: string): Promise<string[] | undefined> {
    const parts = relativePath.split('/');
    const name = parts.pop()!;
    for (let depth = parts.length; depth >= 0; depth--) {
      const folder = parts.slice(0, depth).join('/');
      const rules = await this.read(folder);
      if (!rules) continue;
      const own = depth === parts.length ? rules.files[name] : undefined;
      if (own) return normalizeAudiences(own);
      if (rules.audiences) return normalizeAudiences(rules.audiences);
    }
    return undefined;
  }

  private read(folder: string): Promise<FolderRules | undefined> {
    let rules = this.rules.get(folder);
    if (!rules) {
      rules = readRules(path.join(this.root, folder, AUDIENCES_FILE));
      this.rules.set(folder, rules);
    }
    return rules;
  }
}

/**
 * Records a single file's audiences in its folder's `.audiences.yaml` (an upload's), or removes its entry when
 * `audiences` is undefined (the folder's rules apply again). The caller holds the ingestion lock, so no other
 * writer changes the file at once; written atomically.
 */
export async function setFileAudiences(folder: string, name: string, audiences: readonly string[] | undefined): Promise<void> {
  const file = path.join(folder, AUDIENCES_FILE);
  const rules = (await readRules(file)) ?? { files: {} };
  const files = { ...rules.files };
  if (audiences) files[name] = normalizeAudiences(audiences);
  else if (name in files) delete files[name];
  else return;
  const next: Record<string, unknown> = { ...(rules.audiences ? { audiences: rules.audiences } : {}), ...(Object.keys(files).length ? { files } : {}) };
  await mkdir(folder, { recursive: true });
  const temporary = path.join(folder, `${AUDIENCES_FILE}.${process.pid}.tmp`);
  await writeFile(temporary, `# Who may see these documents (docs/audiences.md).\n${stringify(next)}`);
  await rename(temporary, file);
}
