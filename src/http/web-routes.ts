import { existsSync, readFileSync } from 'node:fs';
import { type Request, type Response, Router } from 'express';
import { AppError } from '../errors.js';

const demoDir = new URL('../web/demo/', import.meta.url);
const adminDir = new URL('../web/admin/', import.meta.url);

/** The demo product page at `/`, the widget bundle at `/widget.js` (built by `npm run build:widget`) and the admin page at `/admin`. */
export function webRoutes(widgetFile = 'dist/widget.js'): Router {
  const router = Router();
  const page = readFileSync(new URL('index.html', demoDir), 'utf8');
  const css = readFileSync(new URL('demo.css', demoDir), 'utf8');
  let widget: string | undefined;
  // The admin page holds no data itself: everything it shows comes from /v1/admin/* with the admin key.
  const admin = { html: readFileSync(new URL('index.html', adminDir), 'utf8'), js: readFileSync(new URL('admin.js', adminDir), 'utf8'), css: readFileSync(new URL('admin.css', adminDir), 'utf8') };
  router.get('/admin', (_request: Request, response: Response) => {
    response.setHeader('Cache-Control', 'no-store');
    response.type('html').send(admin.html);
  });
  router.get('/admin/admin.js', (_request: Request, response: Response) => {
    response.type('application/javascript').send(admin.js);
  });
  router.get('/admin/admin.css', (_request: Request, response: Response) => {
    response.type('css').send(admin.css);
  });
  router.get('/', (_request: Request, response: Response) => {
    response.type('html').send(page);
  });
  router.get('/demo.css', (_request: Request, response: Response) => {
    response.type('css').send(css);
  });
  router.get('/widget.js', (_request: Request, response: Response) => {
    if (!widget) {
      if (!existsSync(widgetFile)) throw new AppError(503, 'widget_not_built', 'The widget is not built: run "npm run build:widget"');
      widget = readFileSync(widgetFile, 'utf8');
    }
    // Short cache: customers' pages pick up a new widget within minutes of a deploy.
    response.setHeader('Cache-Control', 'public, max-age=300');
    response.type('application/javascript').send(widget);
  });
  return router;
}
