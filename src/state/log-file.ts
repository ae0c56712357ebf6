import type { FileHandle } from 'node:fs/promises';

/**
 * Reading a JSON-lines log file in slices. A log of tens of MB read whole and split on the event loop held every
 * request of the process for 0.1–0.3 s (bench:workspaces' server, 33k lines, 20 MB, at each compaction); read a slice
 * at a time, the loop is free between slices (each read awaits the disk) and a slice's lines are few.
 */
export const LOG_SLICE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

/**
 * The complete lines of the file's first `size` bytes, newest (last) first. A last line without its newline (an
 * append a crash cut short) is not yielded. Stop iterating to stop reading: a caller after the last few lines
 * reads only the file's end.
 */
export async function* linesFromEnd(handle: FileHandle, size: number, sliceBytes = LOG_SLICE_BYTES): AsyncGenerator<string> {
  let end = size;
  // The bytes before the earliest newline seen so far: the end of a line whose start is in an earlier slice.
  let rest = Buffer.alloc(0);
  // Until the file's last newline is found, bytes belong to a torn line (or there are none): never a line.
  let torn = true;
  while (end > 0) {
    const start = Math.max(0, end - sliceBytes);
    const slice = Buffer.alloc(end - start);
    await handle.read(slice, 0, slice.length, start);
    end = start;
    let bytes = rest.length ? Buffer.concat([slice, rest]) : slice;
    if (torn) {
      const last = bytes.lastIndexOf(NEWLINE);
      if (last < 0) continue;
      bytes = bytes.subarray(0, last);
      torn = false;
    }
    let lineEnd = bytes.length;
    for (let index = lineEnd - 1; index >= 0; index--) {
      if (bytes[index] !== NEWLINE) continue;
      yield bytes.toString('utf8', index + 1, lineEnd);
      lineEnd = index;
    }
    // Copied: a small remainder does not keep the slice's buffer alive.
    rest = Buffer.from(bytes.subarray(0, lineEnd));
  }
  if (rest.length) yield rest.toString('utf8');
}

/**
 * The lines of the file's complete part that `keep` accepts, in order, at most the last `maxLength`, and how many
 * bytes that complete part holds (what a compaction read: later appends are copied after it).
 */
export async function keptLinesFromStart(handle: FileHandle, keep: (line: string) => boolean, maxLength: number, sliceBytes = LOG_SLICE_BYTES): Promise<{ lines: string[]; readBytes: number }> {
  const { size } = await handle.stat();
  const lines: string[] = [];
  let position = 0;
  let readBytes = 0;
  let rest = Buffer.alloc(0);
  while (position < size) {
    const slice = Buffer.alloc(Math.min(sliceBytes, size - position));
    const { bytesRead } = await handle.read(slice, 0, slice.length, position);
    if (!bytesRead) break;
    position += bytesRead;
    const bytes = rest.length ? Buffer.concat([rest, slice.subarray(0, bytesRead)]) : slice.subarray(0, bytesRead);
    let lineStart = 0;
    for (let index = bytes.indexOf(NEWLINE); index >= 0; index = bytes.indexOf(NEWLINE, lineStart)) {
      const line = bytes.toString('utf8', lineStart, index);
      if (keep(line)) lines.push(line);
      lineStart = index + 1;
    }
    readBytes = position - (bytes.length - lineStart);
    rest = Buffer.from(bytes.subarray(lineStart));
    // Memory stays near maxLength lines however long the file grew.
    if (lines.length > 2 * maxLength) lines.splice(0, lines.length - maxLength);
  }
  return { lines: lines.slice(-maxLength), readBytes };
}
