/** How long each log keeps entries; logs not named here keep them 90 days. Shared by the memory and Redis states. */
export type LogRetention = Record<string, number>;
export const retentionSeconds = (retention: LogRetention | undefined, name: string) => retention?.[name] ?? 90 * 86_400;
/** Entry ids start with their time in ms (Redis stream ids and MemoryState's alike). */
export const idTime = (id: string) => Number(id.split('-')[0]);
