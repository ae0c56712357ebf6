import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from './http-error.js';

export interface ReceivedFile {
  /** The name the client gave. */
  fileName: string;
  /** Where the bytes are now. */
  file: string;
  bytes: number;
  fields: Record<string, string>;
}

/**
 * Reads one file from a multipart/form-data body (field `file`) to `target`, streaming, with a size limit:
 * an oversized file is cut off and answered 413, and nothing of it is kept. An upload whose connection closes
 * half-way is given up the same way: busboy then never finishes, so without watching the request the handler
 * waited forever with the partial file open in uploads/.incoming/.
 */
export async function receiveOneFile(request: Request, target: string, maxBytes: number): Promise<ReceivedFile> {
  if (!request.is('multipart/form-data')) throw new AppError(415, 'multipart_required', 'Upload the document as multipart/form-data with a "file" field');
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: request.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024 } });
  } catch (error) {
    throw new AppError(400, 'bad_multipart', (error as Error).message);
  }
  const fields: Record<string, string> = {};
  let received: Promise<{ fileName: string; bytes: number; truncated: boolean }> | undefined;
  let fileStream: Readable | undefined;
  parser.on('field', (name, value) => (fields[name] = value));
  parser.on('file', (name, stream, info) => {
    if (name !== 'file' || received) {
      stream.resume();
      return;
    }
    fileStream = stream;
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    received = pipeline(stream, createWriteStream(target)).then(() => ({ fileName: info.filename ?? '', bytes, truncated: (stream as unknown as { truncated?: boolean }).truncated === true }));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('close', resolve);
      parser.on('error', (error) => reject(new AppError(400, 'bad_multipart', (error as Error).message)));
      const aborted = () => reject(new AppError(400, 'upload_aborted', 'The upload was cut off before it was complete'));
      request.on('error', aborted);
      request.on('close', () => {
        if (!request.complete) aborted();
      });
      request.pipe(parser);
    });
    if (!received) throw new AppError(400, 'file_missing', 'No "file" field in the upload');
    const file = await received;
    if (file.truncated) throw new AppError(413, 'file_too_large', `The file is over the ${maxBytes}-byte limit (INGEST_MAX_FILE_BYTES)`);
    if (file.bytes === 0) throw new AppError(400, 'empty_file', 'The uploaded file is empty');
    return { fileName: file.fileName, file: target, bytes: file.bytes, fields };
  } catch (error) {
    // The file's write stream is closed first: removing the file while it is still being opened would leave it behind.
    fileStream?.destroy();
    await received?.catch(() => undefined);
    await rm(target, { force: true });
    throw error;
  }
}
