import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { EmailStore } from '../../src/email/email-store.js';
import { openRedis } from '../../src/state/redis-connection.js';

/**
 * The per-sender reply cap counts a mailbox, not a spelling of it: "victim+1@…", "victim+2@…" and "Victim@…" are
 * one inbox at the providers that deliver plus-addressed mail, so a stranger who sets From to one plus tag after
 * another must not get a reply to that inbox beyond EMAIL_REPLY_LIMIT_PER_SENDER. Real Redis.
 */
const redis = openRedis('redis://127.0.0.1:6379', 'records');
const prefix = `test:reply-caps:${randomUUID()}:`;
const store = new EmailStore(redis, prefix, 3600);

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('the reply cap per sender', () => {
  it('counts plus-addressed variants and case variants of one mailbox together', async () => {
    const counts = [];
    for (const address of ['victim@example.com', 'victim+1@example.com', 'Victim+news@Example.COM', 'VICTIM@example.com']) {
      counts.push(await store.countInWindow('sender', address, randomUUID(), 3600));
    }
    expect(counts).toEqual([1, 2, 3, 4]);
    // Another mailbox is counted on its own.
    expect(await store.countInWindow('sender', 'victim2@example.com', randomUUID(), 3600)).toBe(1);
  });
});
