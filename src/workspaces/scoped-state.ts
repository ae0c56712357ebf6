import type { SharedState } from '../state/shared-state.js';

export const DEFAULT_WORKSPACE = 'default';

/** The key prefix a workspace's shared state lives under; none for `default`, which keeps today's keys. */
export function workspacePrefix(workspace: string): string {
  return workspace === DEFAULT_WORKSPACE ? '' : `ws:${workspace}:`;
}

/**
 * One workspace's view of the shared state: every key, list, token bucket and log name is prefixed with
 * `ws:<id>:`, so sessions, the answer cache, rate limits, jobs, curated answers, feedback and audit of two
 * workspaces can never meet, and code that takes a SharedState is scoped without knowing it. `default` is the
 * state itself: a deployment from before workspaces reads exactly the keys and logs it wrote.
 */
export function scopedState(state: SharedState, workspace: string): SharedState {
  const prefix = workspacePrefix(workspace);
  if (!prefix) return state;
  const key = (name: string) => prefix + name;
  return {
    kind: state.kind,
    get isDegraded() {
      return state.isDegraded;
    },
    getJson: <T>(name: string) => state.getJson<T>(key(name)),
    setJson: (name, value, ttlSeconds) => state.setJson(key(name), value, ttlSeconds),
    delete: (name) => state.delete(key(name)),
    pushList: (name, value, maxLength, ttlSeconds) => state.pushList(key(name), value, maxLength, ttlSeconds),
    readList: <T>(name: string) => state.readList<T>(key(name)),
    takeToken: (name, burst, perSecond) => state.takeToken(key(name), burst, perSecond),
    appendLog: (name, entry, maxLength) => state.appendLog(key(name), entry, maxLength),
    appendLogOnce: (name, entry, maxLength, onceId) => state.appendLogOnce(key(name), entry, maxLength, onceId),
    readLog: (name, count) => state.readLog(key(name), count),
    findLogEntry: (name, match, count) => state.findLogEntry(key(name), match, count),
    deletePrefix: (name) => state.deletePrefix?.(key(name)) ?? Promise.resolve(0),
    ping: () => state.ping(),
    // The underlying state belongs to the deployment: a workspace closing does not close it.
    close: async () => undefined,
  };
}
