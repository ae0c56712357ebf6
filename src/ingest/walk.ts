import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface WalkedFile {
  absolutePath: string;
  /** Relative to the source root, with forward slashes: the stable document id. */
  relativePath: string;
  size: number;
}

/**
 * Lists files under `root` recursively (or `root` itself when it is a file), sorted for a
 * deterministic run. Hidden files and folders are skipped; so is anything in `exclude` (absolute paths).
 */
export async function walk(root: string, exclude: Set<string> = new Set()): Promise<WalkedFile[]> {
  const rootStat = await stat(root);
  if (rootStat.isFile()) return [{ absolutePath: path.resolve(root), relativePath: path.basename(root), size: rootStat.size }];
  const files: WalkedFile[] = [];
  const visit = async (directory: string) => {
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const absolutePath = path.join(directory, entry.name);
      if (exclude.has(path.resolve(absolutePath))) continue;
      if (entry.isDirectory()) await visit(absolutePath);
      else if (entry.isFile()) {
        const { size } = await stat(absolutePath);
        files.push({ absolutePath, relativePath: path.relative(root, absolutePath).split(path.sep).join('/'), size });
      }
    }
  };
  await visit(path.resolve(root));
  return files;
}
