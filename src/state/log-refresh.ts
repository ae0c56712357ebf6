/**
 * Re-reads a registry kept as a log in the shared state (API keys, workspaces) once now and then every `seconds`, so
 * every replica sees a change within that time. A failed read keeps what was read last; the timer never holds the
 * process open. Returns the stop function.
 */
export async function refreshEvery(refresh: () => Promise<void>, seconds: number): Promise<() => void> {
  await refresh().catch(() => undefined);
  const timer = setInterval(() => void refresh().catch(() => undefined), seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
