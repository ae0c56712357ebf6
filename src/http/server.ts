import { createServer, type Server } from 'node:http';
import type { Express } from 'express';

export interface ServerLimits {
  /** Time to receive a whole request; a body that never completes (slowloris) is cut off with 408. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** Listens with every limit set: Node's defaults let a client hold a connection for minutes. */
export function listen(app: Express, port: number, host: string, limits: ServerLimits): Promise<Server> {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      // Node requires headersTimeout ≤ requestTimeout.
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // The timeouts above are enforced when connections are checked: every 30 s by default, too coarse.
      connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  return new Promise((resolve, reject) => {
    server.once('listening', () => resolve(server));
    server.once('error', reject);
    server.listen(port, host);
  });
}
