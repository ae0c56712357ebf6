import { stat } from 'node:fs/promises';
import type { Config, WorkspaceSecretName, WorkspaceSecrets } from '../config/config.js';
import { readWorkspaceSecretsFile } from './workspace-channels.js';

/**
 * Workspaces' secrets for the public addresses that carry no key (`/v1/helpdesk/<helpdesk>/<workspace>`): the file
 * WORKSPACE_SECRETS_FILE is read again only when it has changed (its inode, size or modification time), not per call.
 *
 * Why: anyone may call those addresses. A read and parse of the file per call let any caller make the process read
 * it as fast as they could send, and a workspace that exists (the file read) answered later than one that does not
 * (answered at once): the one 404 for both told them apart by its timing. Through this, every id costs one `stat` and
 * the same wait for the same parsed file. A secret added to the file still needs no restart.
 */
export class WorkspaceSecretsFile {
  private cached?: { signature: string; secrets: Promise<WorkspaceSecrets> };

  constructor(
    private readonly config: Pick<Config, 'WORKSPACE_SECRETS' | 'WORKSPACE_SECRETS_FILE'>,
    /** The file could not be read or is not valid (then only WORKSPACE_SECRETS counts); told once per change of the file. */
    private readonly onError: (error: Error) => void,
  ) {}

  /** A workspace's secrets: WORKSPACE_SECRETS over the file's, as readWorkspaceSecrets gives them. */
  async secrets(workspace: string): Promise<Partial<Record<WorkspaceSecretName, string>>> {
    const all = await this.file();
    // Own entries only: an id such as `constructor` names no workspace's secrets.
    return { ...(Object.hasOwn(all, workspace) ? all[workspace] : {}), ...(Object.hasOwn(this.config.WORKSPACE_SECRETS, workspace) ? this.config.WORKSPACE_SECRETS[workspace] : {}) };
  }

  private async file(): Promise<WorkspaceSecrets> {
    const file = this.config.WORKSPACE_SECRETS_FILE;
    if (!file) return {};
    const info = await stat(file).catch(() => undefined);
    const signature = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'unreadable';
    if (this.cached?.signature !== signature) {
      const secrets = readWorkspaceSecretsFile(file).catch((error: Error) => {
        this.onError(error);
        return {};
      });
      this.cached = { signature, secrets };
    }
    return this.cached.secrets;
  }
}
