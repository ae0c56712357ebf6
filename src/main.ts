import { loadConfig } from './config/config.js';
import { createLogger } from './log.js';
import { listen } from './http/server.js';
import { buildService } from './service.js';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, undefined, { maskPii: config.PII_MASKING });
const service = await buildService(config, logger);
const server = await listen(service.app, config.PORT, config.HOST, {
  requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
  keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  maxConnections: config.HTTP_MAX_CONNECTIONS,
});
logger.info({ port: config.PORT, mode: service.answers.mode, table: config.TABLE_NAME }, `Kefu listening on http://localhost:${config.PORT}`);

// Graceful shutdown (SIGTERM from Docker or Kubernetes, Ctrl-C): readiness turns 503 first so the load
// balancer stops sending; after SHUTDOWN_READINESS_DELAY_MS the server stops accepting connections; running
// answers get up to SHUTDOWN_DRAIN_MS (by default longer than an LLM call may take) to finish, and streams
// still open then end with an `error` event. A running ingestion job is stopped and its lock released.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void shutdown(signal);
  });
}

async function shutdown(signal: string) {
  logger.info({ signal, inFlight: service.drain.inFlight }, 'shutting down: readiness off, draining');
  service.drain.start();
  // Hard stop if something hangs past every deadline.
  setTimeout(() => process.exit(1), config.SHUTDOWN_READINESS_DELAY_MS + config.SHUTDOWN_DRAIN_MS + 10_000).unref();
  await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_READINESS_DELAY_MS));
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  const cut = await service.drain.settle(config.SHUTDOWN_DRAIN_MS);
  if (cut) logger.warn({ cut }, 'answers still running at the drain deadline were ended with an error event');
  server.closeAllConnections();
  await closed;
  await service.close();
  logger.info('stopped');
  process.exit(0);
}
