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

// Graceful shutdown: stop accepting, let running answers finish (bounded), then close the store.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    server.close(async () => {
      await service.close();
      clearTimeout(force);
      process.exit(0);
    });
    server.closeIdleConnections();
  });
}
