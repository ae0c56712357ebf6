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
 * Symbolic links and special files are not read; they are added to `skipped` with the reason.
 */
export async function walk(root: string, exclude: Set<string> = new Set(), skipped: { path: string; reason: string }[] = []): Promise<WalkedFile[]> {
  const rootStat = await stat(root);
  if (rootStat.isFile()) return [{ absolutePath: path.resolve(root), relativePath: path.basename(root), size: rootStat.size }];
  const files: WalkedFile[] = [];
  const relative = (absolutePath: string) => path.relative(path.resolve(root), absolutePath).split(path.sep).join('/');
  const visit = async (directory: string) => {
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const absolutePath = path.join(directory, entry.name);
      if (exclude.has(path.resolve(absolutePath))) continue;
      // Links are never followed: one could point outside the knowledge folder (or loop). They are listed instead.
      if (entry.isSymbolicLink()) skipped.push({ path: relative(absolutePath), reason: 'symbolic link, not followed' });
      else if (entry.isDirectory()) await visit(absolutePath);
      else if (entry.isFile()) {
        const { size } = await stat(absolutePath);
        files.push({ absolutePath, relativePath: relative(absolutePath), size });
      } else skipped.push({ path: relative(absolutePath), reason: 'not a regular file' });
    }
  };
  await visit(path.resolve(root));
  return files;
}
