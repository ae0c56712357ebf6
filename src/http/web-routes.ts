import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { type Request, type Response, Router } from 'express';
import { AppError } from './http-error.js';

const demoDir = new URL('../web/demo/', import.meta.url);
const adminDir = new URL('../web/admin/', import.meta.url);

/** The demo product page at `/`, the widget bundle at `/widget.js` (built by `npm run build:widget`) and the admin page at `/admin`. */
export function webRoutes(widgetFile = 'dist/widget.js', options: { demoWidgetKey?: string } = {}): Router {
  const router = Router();
  const page = readFileSync(new URL('index.html', demoDir), 'utf8');
  const css = readFileSync(new URL('demo.css', demoDir), 'utf8');
  // The admin page holds no data itself: everything it shows comes from /v1/admin/* with the admin key.
  const admin = { html: readFileSync(new URL('index.html', adminDir), 'utf8'), css: readFileSync(new URL('admin.css', adminDir), 'utf8') };
  // Every script of the admin folder (admin.js and one per section, e.g. suggestions.js), read once: a name not
  // read here is a 404, so no path from the request ever reaches the file system.
  const adminScripts = new Map(
    readdirSync(adminDir)
      .filter((name) => /^[a-z-]+\.js$/.test(name))
      .map((name) => [name, readFileSync(new URL(name, adminDir), 'utf8')]),
  );
  router.get('/admin', (_request: Request, response: Response) => {
    response.setHeader('Cache-Control', 'no-store');
    response.type('html').send(admin.html);
  });
  router.get('/admin/:script', (request: Request, response: Response, next) => {
    const script = adminScripts.get(String(request.params.script));
    if (!script) return next();
    response.type('application/javascript').send(script);
  });
  router.get('/admin/admin.css', (_request: Request, response: Response) => {
    response.type('css').send(admin.css);
  });
  // The demo page embeds the versioned bundle, as a site that pins it would.
  router.get('/', (_request: Request, response: Response) => {
    const version = existsSync(widgetFile) ? load().versionedName : 'widget.js';
    // With API keys on, the demo's widget needs a widget key like any site (DEMO_WIDGET_KEY): without one it said
    // "Support chat isn't available here" as soon as an admin key was configured. Widget keys are public by design.
    const key = options.demoWidgetKey ? ` data-api-key="${options.demoWidgetKey.replace(/[^A-Za-z0-9_-]/g, '')}"` : '';
    response.type('html').send(page.replace('src="/widget.js"', `src="/${version}"${key}`));
  });
  router.get('/demo.css', (_request: Request, response: Response) => {
    response.type('css').send(css);
  });
  // The widget bundle, compressed once (brotli and gzip, picked by Accept-Encoding), at two addresses: the plain
  // `/widget.js` cached for minutes, so pages that embed it pick up a deploy soon, and `/widget.<hash>.js`
  // cached for a year as immutable, for sites that pin a version (the hash changes with the content).
  let asset: WidgetAsset | undefined;
  const load = () => {
    if (!asset) {
      if (!existsSync(widgetFile)) throw new AppError(503, 'widget_not_built', 'The widget is not built: run "npm run build:widget"');
      asset = widgetAsset(readFileSync(widgetFile));
    }
    return asset;
  };
  router.get('/widget.js', (request: Request, response: Response) => {
    const widget = load();
    response.setHeader('Cache-Control', 'public, max-age=300');
    response.setHeader('Link', `</${widget.versionedName}>; rel="alternate"`);
    sendAsset(request, response, widget);
  });
  router.get(/^\/widget\.([0-9a-f]{12})\.js$/, (request: Request, response: Response) => {
    const widget = load();
    if (request.params[0] !== widget.hash) throw new AppError(404, 'not_found', `No widget version ${request.params[0]}; the current one is /${widget.versionedName}`);
    response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    sendAsset(request, response, widget);
  });
  // Browsers ask for it on every page; an empty answer instead of a 404 in the demo page's console.
  router.get('/favicon.ico', (_request: Request, response: Response) => {
    response.setHeader('Cache-Control', 'public, max-age=86400');
    response.status(204).end();
  });
  return router;
}

interface WidgetAsset {
  hash: string;
  versionedName: string;
  plain: Buffer;
  gzip: Buffer;
  brotli: Buffer;
}

function widgetAsset(plain: Buffer): WidgetAsset {
  const hash = createHash('sha256').update(plain).digest('hex').slice(0, 12);
  return {
    hash,
    versionedName: `widget.${hash}.js`,
    plain,
    gzip: gzipSync(plain, { level: 9 }),
    brotli: brotliCompressSync(plain, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

function sendAsset(request: Request, response: Response, asset: WidgetAsset): void {
  const etag = `"${asset.hash}"`;
  response.setHeader('ETag', etag);
  response.vary('Accept-Encoding');
  response.type('application/javascript');
  if (request.header('if-none-match') === etag) {
    response.status(304).end();
    return;
  }
  const accepted = request.acceptsEncodings('br', 'gzip', 'identity');
  if (accepted === 'br') response.setHeader('Content-Encoding', 'br').send(asset.brotli);
  else if (accepted === 'gzip') response.setHeader('Content-Encoding', 'gzip').send(asset.gzip);
  else response.send(asset.plain);
}
