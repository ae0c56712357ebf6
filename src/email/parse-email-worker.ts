/**
 * The worker-thread side of IsolatedMailParser: parses the raw messages the main thread sends. MIME parsing,
 * charset decoding, HTML-to-text and reply splitting are CPU work over text a stranger chose; here they cannot
 * hold the API's event loop, and a message that takes too long is stopped by terminating this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseEmail } from './parse-email.js';

const port = parentPort!;
const options = workerData as { maxTextChars: number };
port.on('message', async (request: { id: number; raw: Uint8Array }) => {
  try {
    port.postMessage({ id: request.id, email: await parseEmail(Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength), options) });
  } catch (error) {
    port.postMessage({ id: request.id, error: (error as Error).message });
  }
});
port.postMessage({ ready: true });
