import { z } from 'zod';

/**
 * Audiences: who may see a piece of knowledge. A document is `public` (everyone, the default) or limited to
 * named audiences (`agents`, `partners`, any name); a key carries the audiences it may see. A chunk is visible to
 * a key when they share an audience, and a public chunk to every key, since every key's audiences include
 * `public` unless it was made for an internal audience alone.
 *
 * Kept beside the knowledge store's port: the chunk rows carry them, the store filters by them, and ingestion,
 * answering and the HTTP layer all speak of them in these terms.
 */
export const PUBLIC_AUDIENCE = 'public';

/** What a key without audiences, and a document without any, gets. */
export const PUBLIC_ONLY: readonly string[] = Object.freeze([PUBLIC_AUDIENCE]);

/** An audience name: short, lower-case, safe in a file, a SQL literal and a metric label alike. */
export const audienceName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'an audience is 1–32 lower-case letters, digits, _ or -, starting with a letter or digit');

/** A list of audiences as settings, files and requests give it: an array, or one comma-separated string. */
export const audienceList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').filter((part) => part.trim()) : value),
  z.array(audienceName).min(1, 'at least one audience').max(20),
);

/**
 * One canonical form: sorted, without duplicates, and a list holding `public` is just `['public']` (anyone may
 * see it, so naming others adds nothing). Empty or missing is public.
 */
export function normalizeAudiences(audiences: readonly string[] | undefined): string[] {
  const names = [...new Set((audiences ?? []).map((name) => name.trim().toLowerCase()).filter(Boolean))].sort();
  if (!names.length || names.includes(PUBLIC_AUDIENCE)) return [PUBLIC_AUDIENCE];
  return names;
}

/** Whether a key with `allowed` audiences may see something limited to `audiences`. */
export function visibleTo(audiences: readonly string[] | undefined, allowed: readonly string[]): boolean {
  const limited = normalizeAudiences(audiences);
  return limited.some((name) => allowed.includes(name));
}

/** Whether something limited to `audiences` is internal: not for the public. */
export const isInternal = (audiences: readonly string[] | undefined) => !normalizeAudiences(audiences).includes(PUBLIC_AUDIENCE);

/** Whether a key's audiences are the public alone (a customer). */
export const isPublicOnly = (audiences: readonly string[] | undefined) => {
  const names = keyAudiences(audiences);
  return names.length === 1 && names[0] === PUBLIC_AUDIENCE;
};

/**
 * A key's audiences in canonical form: absent means public. Unlike a document's, a key's list keeps every name
 * (an agent-assist key is `['agents', 'public']`, both searched).
 */
export function keyAudiences(audiences: readonly string[] | undefined): string[] {
  const names = [...new Set((audiences ?? []).map((name) => name.trim().toLowerCase()).filter(Boolean))].sort();
  return names.length ? names : [PUBLIC_AUDIENCE];
}
