import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keptLinesFromStart, linesFromEnd } from '../../src/state/log-file.js';

// Slices as small as one byte cut lines, and the multi-byte characters inside them, at every possible place.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-log-slices-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const contents = {
  plain: '{"id":"1-0"}\n{"id":"2-1","q":"退货"}\n\n{"id":"3-2","q":"é ü"}\n',
  torn: '{"id":"1-0","q":"手环"}\n{"id":"2-1"}\n{"id":"3-',
  'only torn': '{"id":"1-0","q":"没有换行',
  'first line only': '{"id":"1-0","q":"一"}\n',
  empty: '',
};

async function withContent<T>(text: string, use: (handle: Awaited<ReturnType<typeof open>>, size: number) => Promise<T>): Promise<T> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(file, text);
  const handle = await open(file, 'r');
  try {
    return await use(handle, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

/** What a whole read gives: the lines that end with a newline. */
const completeLines = (text: string) =>
  text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .slice(0, -1);

describe('a log file read a slice at a time', () => {
  for (const [name, text] of Object.entries(contents)) {
    it(`gives the complete lines newest first, whatever the slice size (${name})`, async () => {
      for (const slice of [1, 2, 3, 5, 8, 13, 64, 1 << 16]) {
        const lines = await withContent(text, async (handle, size) => {
          const out: string[] = [];
          for await (const line of linesFromEnd(handle, size, slice)) out.push(line);
          return out;
        });
        expect(lines, `slice ${slice}`).toEqual(completeLines(text).reverse());
      }
    });

    it(`keeps the accepted complete lines in order and counts the bytes they span (${name})`, async () => {
      for (const slice of [1, 2, 3, 7, 64, 1 << 16]) {
        const kept = await withContent(text, (handle) => keptLinesFromStart(handle, (line) => line.length > 0, 2, slice));
        expect(kept.lines, `slice ${slice}`).toEqual(
          completeLines(text)
            .filter((line) => line.length > 0)
            .slice(-2),
        );
        expect(kept.readBytes).toBe(Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
      }
    });
  }

  it('stops reading when the caller has what it needs: the newest lines of a long log cost its end only', async () => {
    const text = Array.from({ length: 5000 }, (_, index) => JSON.stringify({ id: `${index}-0`, q: '问题'.repeat(20) })).join('\n') + '\n';
    const reads = await withContent(text, async (handle, size) => {
      let count = 0;
      const read = handle.read.bind(handle);
      (handle as { read: unknown }).read = (...args: Parameters<typeof read>) => {
        count++;
        return read(...args);
      };
      const newest: string[] = [];
      for await (const line of linesFromEnd(handle, size, 1024)) {
        newest.push(line);
        if (newest.length === 3) break;
      }
      expect(newest.map((line) => JSON.parse(line).id)).toEqual(['4999-0', '4998-0', '4997-0']);
      return count;
    });
    expect(reads).toBeLessThanOrEqual(2);
  });
});
