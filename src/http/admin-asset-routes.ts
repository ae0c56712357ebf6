import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Request, type Response, Router } from 'express';

/**
 * The charting library the dashboard draws with (Chart.js, an npm dependency) served from here: the admin page loads
 * nothing from another host, and the Content-Security-Policy (`script-src 'self'`) would refuse a CDN anyway. The
 * page's own scripts are served by webRoutes.
 */
export function adminAssetRoutes(): Router {
  const router = Router();
  // The package exports only its module builds; the UMD build sits beside them in dist/.
  const chartFile = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
  const assets = new Map([['chart.umd.min.js', readFileSync(chartFile)]]);
  router.get('/admin/:asset', (request: Request, response: Response, next) => {
    const asset = assets.get(String(request.params.asset));
    if (!asset) return next();
    response.setHeader('Cache-Control', 'no-cache');
    response.type('application/javascript').send(asset);
  });
  return router;
}
