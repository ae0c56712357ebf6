import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { parse as parseYaml } from 'yaml';
import { AppError } from './http-error.js';
import type { Logger } from '../log.js';
import { type AskRouteOptions, askRoute } from './ask-route.js';
import { errorHandler } from './error-handler.js';
import { documentedMethods } from './documented-methods.js';
import { requestId } from './request-id.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

export interface AppOptions {
  logger: Logger;
  ask: AskRouteOptions;
  readiness: ReadinessCheck[];
  /** Extra routers (sessions, feedback, admin, metrics, widget) mounted before the 404 handler. */
  routers?: express.Router[];
  /** Runs on every request before the body is parsed (metrics, CORS). */
  middleware?: express.RequestHandler[];
  /** Runs first, before the security headers and logging: what must refuse or hand off a request cheaply (workspaces). */
  front?: express.RequestHandler[];
  /** Prometheus text for GET /metrics; with `token`, only for `Authorization: Bearer <token>`. */
  metrics?: { contentType: string; render: () => Promise<string>; token?: string };
  trustProxy?: string;
}

const openapiText = readFileSync(new URL('./openapi.yaml', import.meta.url), 'utf8');
const allowedMethods = documentedMethods((parseYaml(openapiText) as { paths: Record<string, Record<string, unknown>> }).paths);

/**
 * The JSON body parser. Not global: each route puts it after its rate limit and key check, so a caller
 * without a valid key gets 401/429 without the server reading (or waiting for) a byte of the body.
 */
export const jsonBody = (limitBytes: number): RequestHandler => express.json({ limit: limitBytes, strict: true });

/** TRUST_PROXY as Express wants it: booleans and hop counts as such, anything else as addresses or names. */
export function trustProxySetting(value: string): boolean | number | string {
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy) app.set('trust proxy', trustProxySetting(options.trustProxy));
  app.use(requestId);
  for (const middleware of options.front ?? []) app.use(middleware);
  app.use(
    helmet({
      // The widget script is loaded cross-origin by customers' sites.
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      // No upgrade-insecure-requests: a plain-http local or intranet install must keep working; TLS is the proxy's job.
      contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'connect-src': ["'self'"], 'upgrade-insecure-requests': null } },
    }),
  );
  app.use((request, response, next) => {
    const started = performance.now();
    response.on('finish', () => {
      options.logger.info({ requestId: request.id, method: request.method, path: request.path, status: response.statusCode, ms: Math.round(performance.now() - started) }, 'request');
    });
    next();
  });
  for (const middleware of options.middleware ?? []) app.use(middleware);

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request: Request, response: Response) => {
    const results = await Promise.all(options.readiness.map(async (entry) => [entry.name, await entry.check().catch(() => false)] as const));
    const ready = results.every(([, ok]) => ok);
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
  if (options.metrics) {
    const metrics = options.metrics;
    const expected = metrics.token ? createHash('sha256').update(metrics.token).digest() : undefined;
    app.get('/metrics', async (request, response) => {
      if (expected) {
        const presented = /^Bearer\s+(.+)$/i.exec(request.header('authorization') ?? '')?.[1]?.trim() ?? '';
        // Compared as hashes: equal length, constant time.
        if (!timingSafeEqual(createHash('sha256').update(presented).digest(), expected)) {
          response.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
          throw new AppError(401, 'metrics_token_required', 'Metrics need the metrics token: Authorization: Bearer <METRICS_TOKEN>');
        }
      }
      response.type(metrics.contentType).send(await metrics.render());
    });
  }
  app.get('/openapi.yaml', (_request, response) => {
    response.type('application/yaml').send(openapiText);
  });
  app.get('/openapi.json', (_request, response) => {
    response.json(parseYaml(openapiText));
  });

  app.use(askRoute(options.ask));
  for (const router of options.routers ?? []) app.use(router);
  app.use((request: Request, response: Response) => {
    const allow = allowedMethods(request.path);
    if (allow && !allow.includes(request.method)) {
      response.setHeader('Allow', allow.join(', '));
      throw new AppError(405, 'method_not_allowed', `${request.method} is not allowed on ${request.path}; allowed: ${allow.join(', ')}`);
    }
    throw new AppError(404, 'not_found', `No route for ${request.method} ${request.path}`);
  });
  app.use(errorHandler(options.logger));
  return app;
}
