import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { receiveOneFile } from '../../src/http/upload.js';
import { DocumentFiles } from '../../src/ingest/document-files.js';

/**
 * Uploads cut off half-way (the socket closed after 100 KB of a 5 MB file) leave nothing in uploads/.incoming/,
 * and what a killed process left there is swept at start-up. The real upload code behind a real HTTP server.
 */
let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('an upload cut off half-way', () => {
  it('is given up (upload_aborted) and its partial file removed', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kefu-upload-'));
    const documents = new DocumentFiles(dir);
    let settled!: Promise<unknown>;
    const app = express();
    app.post('/upload', (request, response) => {
      settled = documents.incomingFile().then((target) => receiveOneFile(request, target, 10 * 1024 * 1024));
      settled.then(
        () => response.end(),
        () => response.end(),
      );
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const boundary = 'kefuboundary';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="manual.md"\r\nContent-Type: text/markdown\r\n\r\n`;
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${5 * 1024 * 1024}\r\n\r\n${head}`);
      socket.write('x'.repeat(100 * 1024));
      // The partial file is there while the bytes arrive…
      await until(async () => (await readdir(documents.incomingDir)).length === 1);
      socket.destroy();
      await expect(settled).rejects.toMatchObject({ status: 400, code: 'upload_aborted' });
      // …and gone once the connection closed.
      expect(await readdir(documents.incomingDir)).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('leftovers in uploads/.incoming/', () => {
  it('are swept (files untouched for the given time), while an upload in progress is left alone', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kefu-upload-'));
    const documents = new DocumentFiles(dir);
    await mkdir(documents.incomingDir, { recursive: true });
    const old = path.join(documents.incomingDir, 'killed-mid-upload');
    const fresh = path.join(documents.incomingDir, 'in-progress');
    await writeFile(old, 'x'.repeat(1000));
    await writeFile(fresh, 'y');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, anHourAgo, anHourAgo);
    expect(await documents.sweepIncoming(10 * 60_000)).toBe(1);
    expect(await readdir(documents.incomingDir)).toEqual(['in-progress']);
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition never met');
}
