import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/http/error-handler.js';
import { webRoutes } from '../../src/http/web-routes.js';
import { createLogger } from '../../src/log.js';

let dir: string;
let app: express.Express;
const bundle = `/* widget */ ${'console.log("kefu");\n'.repeat(400)}`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-widget-asset-'));
  await writeFile(path.join(dir, 'widget.js'), bundle);
  app = express();
  app.use(webRoutes(path.join(dir, 'widget.js')));
  app.use(errorHandler(createLogger('silent')));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const binary = (response: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
};

describe('serving the widget bundle', () => {
  it('compresses with brotli or gzip as the browser accepts, and serves it plain otherwise', async () => {
    const br = await request(app).get('/widget.js').set('accept-encoding', 'br, gzip').buffer(true).parse(binary);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/Accept-Encoding/);
    // The client decodes it (as a browser does); what went over the wire is the Content-Length.
    expect((br.body as Buffer).toString()).toBe(bundle);
    expect(Number(br.headers['content-length'])).toBeLessThan(bundle.length / 10);
    const gzip = await request(app).get('/widget.js').set('accept-encoding', 'gzip').buffer(true).parse(binary);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect((gzip.body as Buffer).toString()).toBe(bundle);
    expect(Number(gzip.headers['content-length'])).toBeLessThan(bundle.length / 10);
    const plain = await request(app).get('/widget.js').set('accept-encoding', 'identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe(bundle);
  });

  it('caches the plain URL for minutes and the versioned one for a year, immutable; a stale version is 404', async () => {
    const plain = await request(app).get('/widget.js');
    expect(plain.headers['cache-control']).toBe('public, max-age=300');
    const versioned = /<\/(widget\.[0-9a-f]{12}\.js)>/.exec(plain.headers.link)![1];
    const pinned = await request(app).get(`/${versioned}`);
    expect(pinned.status).toBe(200);
    expect(pinned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(pinned.text).toBe(bundle);
    expect((await request(app).get(`/${versioned}`).set('if-none-match', pinned.headers.etag)).status).toBe(304);
    const stale = await request(app).get('/widget.000000000000.js');
    expect(stale.status).toBe(404);
    expect(stale.body.error.message).toContain(versioned);
    // The demo page embeds the pinned version.
    expect((await request(app).get('/')).text).toContain(`src="/${versioned}"`);
  });

  it('gives the demo page its widget key (DEMO_WIDGET_KEY), so it keeps working once API keys are on', async () => {
    const withKey = express().use(webRoutes(path.join(dir, 'widget.js'), { demoWidgetKey: 'kefu_pub_demo0123456789abcdefghijklmnopq' }));
    const page = (await request(withKey).get('/')).text;
    expect(page).toMatch(/<script src="\/widget\.[0-9a-f]{12}\.js" data-api-key="kefu_pub_demo0123456789abcdefghijklmnopq"/);
    expect((await request(app).get('/')).text).not.toContain('data-api-key');
  });

  it('answers /favicon.ico without a 404', async () => {
    expect((await request(app).get('/favicon.ico')).status).toBe(204);
  });
});
