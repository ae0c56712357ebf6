import type { NextFunction, Request, Response } from 'express';
import { DEFAULT_WORKSPACE } from '../workspaces/scoped-state.js';
import type { AccessControl, ApiKey, Scope } from './access.js';
import { AppError } from './http-error.js';
import type { KeyRegistry } from './key-registry.js';

/** The header an operator key names the workspace it acts in with (the admin page's workspace switcher). */
export const WORKSPACE_HEADER = 'x-kefu-workspace';

/** The workspace a key's request is for: its own, or for an operator key the one it names. */
export function requestedWorkspace(request: Request, key: ApiKey): string {
  const own = key.workspace ?? DEFAULT_WORKSPACE;
  const named = request.header(WORKSPACE_HEADER)?.trim();
  if (!named || named === own) return own;
  if (!key.scopes.includes('operator')) throw new AppError(403, 'workspace_forbidden', 'This key belongs to another workspace');
  return named;
}

export type WorkspaceAccessControl = Pick<AccessControl, 'require' | 'identify' | 'cors' | 'enabled'>;

/**
 * Access control for one workspace's routes: the deployment's key check, then the key must belong to this
 * workspace (an operator key: name it). A key of another workspace is refused even if a request reached
 * these routes some other way than the dispatcher.
 */
export function workspaceAccess(access: AccessControl, workspace: string): WorkspaceAccessControl {
  return {
    get enabled() {
      return access.enabled;
    },
    identify: (request) => {
      const key = access.identify(request);
      return key && (key.workspace ?? DEFAULT_WORKSPACE) === workspace ? key : key?.scopes.includes('operator') ? key : undefined;
    },
    cors: access.cors,
    require: (scope: Scope) => {
      const check = access.require(scope);
      return (request: Request, response: Response, next: NextFunction) =>
        check(request, response, (error?: unknown) => {
          if (error) return next(error);
          if (request.apiKey && requestedWorkspace(request, request.apiKey) !== workspace) throw new AppError(403, 'workspace_forbidden', 'This key belongs to another workspace');
          next();
        });
    },
  };
}

/** The key admin of one workspace: it sees, creates and revokes its own keys only, and never an operator key. */
export function workspaceKeys(keys: KeyRegistry, workspace: string): Pick<KeyRegistry, 'list' | 'create' | 'revoke'> {
  const list = () => keys.list().filter((key) => (key.workspace ?? DEFAULT_WORKSPACE) === workspace);
  return {
    list,
    create: (spec, by) => {
      if (spec.scopes.includes('operator')) throw new AppError(403, 'operator_key_refused', 'Operator keys come from the settings (API_KEYS_FILE / API_KEYS), not from a workspace admin');
      return keys.create({ ...spec, workspace }, by);
    },
    revoke: async (id, by) => {
      await keys.refresh().catch(() => undefined);
      const key = list().find((entry) => entry.id === id);
      if (!key) throw new AppError(404, 'key_not_found', `No key with id "${id}"`);
      if (key.scopes.includes('operator')) throw new AppError(403, 'operator_key_refused', 'Operator keys are revoked in the settings, not by a workspace admin');
      return keys.revoke(id, by);
    },
  };
}
