import { stat } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { type ReviewInput, type ReviewPolicy, type ReviewReason, ReviewRules } from './review-rules.js';

/**
 * The review rules as their file says now: before each draft the files are looked at (one `stat` each), and the first
 * that exists is read again when it is another file or has changed since it was read. An edited `email-review.yaml`
 * takes effect at the next draft, with no restart and no rebuild of the workspace. `files` in order of preference: a
 * workspace's own file first, then the deployment's, so a workspace that adds (or removes) its own file switches to
 * (or from) it. A file that no longer parses keeps the rules in force and is logged; at start-up it is an error.
 */
export class ReviewRulesFile implements ReviewPolicy {
  private rules!: ReviewRules;
  private loaded = { file: '', mtimeMs: -1 };
  /** The version of a file that did not parse: it is not read (nor logged) again at every draft until it changes. */
  private broken = { file: '', mtimeMs: -1 };
  private checking?: Promise<void>;

  private constructor(
    private readonly files: string[],
    private readonly minConfidence: number,
    private readonly logger?: Logger,
  ) {}

  static async load(files: string[], minConfidence: number, logger?: Logger): Promise<ReviewRulesFile> {
    const rules = new ReviewRulesFile([...new Set(files)], minConfidence, logger);
    await rules.check(true);
    return rules;
  }

  /** Reads the rules again if the file to use changed; drafts written meanwhile wait for the one check running. */
  refresh(): Promise<void> {
    this.checking ??= this.check(false).finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  reasons(input: ReviewInput): ReviewReason[] {
    return this.rules.reasons(input);
  }

  private async check(strict: boolean): Promise<void> {
    try {
      const found = await this.firstExisting();
      if (!found) throw new Error(`none of ${this.files.join(', ')} exists`);
      if (found.file === this.loaded.file && found.mtimeMs === this.loaded.mtimeMs) return;
      if (found.file === this.broken.file && found.mtimeMs === this.broken.mtimeMs) return;
      this.broken = found;
      this.rules = await ReviewRules.load(found.file, this.minConfidence);
      this.broken = { file: '', mtimeMs: -1 };
      const first = this.loaded.file === '';
      this.loaded = found;
      if (!first) this.logger?.info({ file: found.file }, 'e-mail review rules reloaded');
    } catch (error) {
      if (strict) throw error;
      this.logger?.warn({ err: error, files: this.files }, 'e-mail review rules not reloaded; the previous rules stay in force');
    }
  }

  private async firstExisting(): Promise<{ file: string; mtimeMs: number } | undefined> {
    for (const file of this.files) {
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile()) return { file, mtimeMs: info.mtimeMs };
    }
    return undefined;
  }
}
