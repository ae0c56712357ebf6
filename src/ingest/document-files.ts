import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { conflict, invalid, unsupported } from '../errors.js';
import { LOADERS } from './loaders/index.js';
import { FOLDER_SOURCE_ID, sourceOfPath } from './sources/source-config.js';
import { walk } from './walk.js';
import { FolderAudiences, setFileAudiences } from './audience-rules.js';

/** An uploaded file in the uploads folder, as the admin page lists it. */
export interface UploadedFile {
  name: string;
  /** Relative to the knowledge folder: the `source_path` of its documents. */
  path: string;
  bytes: number;
  modifiedAt: string;
  /** Who may see it, when limited (the uploads folder's `.audiences.yaml`). */
  audiences?: string[];
}

/**
 * Where uploaded documents go and which file backs a stored document: the file side of
 * POST /v1/admin/documents and DELETE /v1/admin/documents/:docId. Every path stays inside the knowledge
 * folder; names are reduced to a safe file name (no folders, no dot files).
 */
export class DocumentFiles {
  readonly uploadsDir: string;

  constructor(
    private readonly knowledgeDir: string,
    uploadsDir?: string,
    /** What in the knowledge folder an ingestion skips (rules, prompts, curated answers): absolute paths. */
    private readonly notDocuments: string[] = [],
  ) {
    this.uploadsDir = path.resolve(uploadsDir ?? path.join(knowledgeDir, 'uploads'));
  }

  /** Folder for uploads still being received; hidden, so an ingestion never reads a half-written file. */
  get incomingDir(): string {
    return path.join(this.uploadsDir, '.incoming');
  }

  async incomingFile(): Promise<string> {
    await mkdir(this.incomingDir, { recursive: true });
    return path.join(this.incomingDir, randomUUID());
  }

  /**
   * Removes what uploads left in .incoming/ (a process killed mid-upload) and returns how many. Only files not
   * written to for `olderThanMs`: another replica sharing the folder may be receiving one right now.
   */
  async sweepIncoming(olderThanMs: number, now = Date.now()): Promise<number> {
    const names = await readdir(this.incomingDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.incomingDir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs >= olderThanMs) {
        await rm(file, { force: true, recursive: true });
        removed++;
      }
    }
    return removed;
  }

  /**
   * The files the next ingestion would read that hold no document of a version (given its source paths): after a
   * rollback, what comes back at the next ingestion, since a rollback restores the table and never the files.
   */
  async filesOutside(sourcePaths: ReadonlySet<string>): Promise<string[]> {
    const files = await walk(this.knowledgeDir, new Set(this.notDocuments.map((file) => path.resolve(file)))).catch(() => []);
    return files.filter((file) => LOADERS[path.extname(file.relativePath).toLowerCase()] && !sourcePaths.has(file.relativePath)).map((file) => file.relativePath);
  }

  /** The uploads folder's files (what POST /v1/admin/documents placed there), by name. */
  async uploads(): Promise<UploadedFile[]> {
    const names = (await readdir(this.uploadsDir).catch(() => [] as string[])).filter((name) => !name.startsWith('.') && LOADERS[path.extname(name).toLowerCase()]);
    const audiences = new FolderAudiences(this.knowledgeDir);
    const files: UploadedFile[] = [];
    for (const name of names.sort()) {
      const info = await stat(path.join(this.uploadsDir, name)).catch(() => undefined);
      if (!info?.isFile()) continue;
      const relative = this.relative(path.join(this.uploadsDir, name));
      const limited = await audiences.forFile(relative).catch(() => undefined);
      files.push({ name, path: relative, bytes: info.size, modifiedAt: info.mtime.toISOString(), ...(limited ? { audiences: limited } : {}) });
    }
    return files;
  }

  /** Checks an uploaded file name: a supported type, reduced to its base name. Returns the name to store under. */
  safeName(fileName: string): string {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
    const base = path.basename(fileName.replace(/\\/g, '/')).normalize('NFC').replace(/[\u0000-\u001f<>:"|?*]/g, '_').trim();
    if (!base || base.startsWith('.')) throw invalid('bad_file_name', `Not a usable file name: ${JSON.stringify(fileName)}`);
    const extension = path.extname(base).toLowerCase();
    if (!LOADERS[extension]) throw unsupported('unsupported_type', `Files of type "${extension || '(none)'}" cannot be ingested; supported: ${Object.keys(LOADERS).join(', ')}`);
    return base;
  }

  /**
   * Moves a received upload into place; returns its path relative to the knowledge folder (the document's id for
   * single-document files). `audiences` limits who may see it (recorded in the uploads folder's `.audiences.yaml`,
   * docs/audiences.md); without them, an earlier upload's limit under that name is lifted.
   */
  async place(incoming: string, name: string, audiences?: readonly string[]): Promise<string> {
    await mkdir(this.uploadsDir, { recursive: true });
    const target = path.join(this.uploadsDir, name);
    // The limit first: a crash between the two leaves a limited name with the old file, never a public new one.
    await setFileAudiences(this.uploadsDir, name, audiences);
    await rename(incoming, target);
    return this.relative(target);
  }

  /** The file behind a stored document's `source_path`, which must lie inside the knowledge folder. */
  resolve(sourcePath: string): string {
    // A page of a website or help centre has no file here: it goes when it leaves its source (or the source goes).
    const source = sourceOfPath(sourcePath);
    if (source !== FOLDER_SOURCE_ID) throw conflict('document_from_source', `That document comes from the source "${source}": remove it there, exclude it from the source, or delete the source`);
    const absolute = path.resolve(this.knowledgeDir, sourcePath);
    if (this.relative(absolute).startsWith('..') || path.isAbsolute(this.relative(absolute))) throw conflict('outside_knowledge', 'That document does not come from the knowledge folder');
    return absolute;
  }

  async remove(sourcePath: string): Promise<void> {
    const file = this.resolve(sourcePath);
    try {
      if (!(await stat(file)).isFile()) throw conflict('not_a_file', 'That document is not backed by a regular file');
      await rm(file);
      // Its audience entry goes with it: a later upload under the name starts from the folder's rules.
      await setFileAudiences(path.dirname(file), path.basename(file), undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      if ((error as NodeJS.ErrnoException).code === 'EROFS' || (error as NodeJS.ErrnoException).code === 'EACCES') {
        throw conflict('read_only_knowledge', 'The knowledge folder is read-only here: delete the file at its source, then re-ingest');
      }
      throw error;
    }
  }

  private relative(absolute: string): string {
    return path.relative(path.resolve(this.knowledgeDir), absolute).split(path.sep).join('/');
  }
}
