/** How long each log keeps entries; logs not named here keep them 90 days. Shared by the memory and Redis states. */
export type LogRetention = Record<string, number>;
// A workspace's log (`ws:<id>:audit`) keeps the retention of the log it is a copy of.
export const retentionSeconds = (retention: LogRetention | undefined, name: string) => retention?.[name.replace(/^ws:[^:]+:/, '')] ?? 90 * 86_400;
/** Entry ids start with their time in ms (Redis stream ids and MemoryState's alike). */
export const idTime = (id: string) => Number(id.split('-')[0]);

/** Whether a log entry holds each of `match`'s fields with that value (how a record is found by its id). */
export const entryMatches = (entry: Record<string, unknown>, match: Record<string, string>) => Object.entries(match).every(([field, value]) => entry[field] === value);
