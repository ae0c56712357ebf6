import { describe, expect, it } from 'vitest';
import { openRedis, queueConnection } from '../../src/state/redis-connection.js';

// Nothing listens on port 1: the clients are built and closed without a server.
const URL = 'redis://127.0.0.1:1';

describe('one Redis connection factory, one profile per use', () => {
  it('gives the shared state a fail-fast client, the lease a lazy one that gives up within seconds, the e-mail records retries', () => {
    const errors: Error[] = [];
    const state = openRedis(URL, 'state', { commandTimeoutMs: 250, onError: (error) => errors.push(error) });
    const lease = openRedis(URL, 'lease');
    const records = openRedis(URL, 'records');
    try {
      expect(state.options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 250, connectTimeout: 2000, lazyConnect: false });
      expect(lease.options).toMatchObject({ maxRetriesPerRequest: 1, connectTimeout: 3000, commandTimeout: 3000, lazyConnect: true });
      expect(lease.status).toBe('wait');
      expect(records.options.maxRetriesPerRequest).toBe(5);
      // Every client has an 'error' listener: an unhandled one would crash the process while Redis is down.
      for (const client of [state, lease, records]) expect(client.listenerCount('error')).toBeGreaterThan(0);
    } finally {
      for (const client of [state, lease, records]) client.disconnect();
    }
  });

  it('hands BullMQ connection settings, not a client: queues and workers open their own, as BullMQ requires', () => {
    expect(queueConnection('redis://redis:6379/2')).toEqual({ url: 'redis://redis:6379/2', maxRetriesPerRequest: null });
  });
});
