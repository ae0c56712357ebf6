/**
 * The worker-thread side of WorkerEmbedder: loads one model and embeds what the main thread sends.
 * ONNX Runtime's Node binding runs an inference synchronously on the calling thread; here that thread is
 * this worker's, so the serving event loop keeps answering (health checks, refusals, shed requests) while
 * a model runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TransformersEmbedder, type EmbedderSettings } from './transformers-embedder.js';

interface Request {
  id: number;
  kind: 'query' | 'passages';
  texts: string[];
}

const port = parentPort!;
try {
  const embedder = await TransformersEmbedder.load(workerData as EmbedderSettings);
  port.on('message', async (request: Request) => {
    try {
      const vectors = request.kind === 'query' ? [await embedder.embedQuery(request.texts[0])] : await embedder.embedPassages(request.texts);
      port.postMessage({ id: request.id, vectors }, vectors.map((vector) => vector.buffer as ArrayBuffer));
    } catch (error) {
      port.postMessage({ id: request.id, error: (error as Error).message });
    }
  });
  port.postMessage({ ready: true, modelKey: embedder.modelKey, dimension: embedder.dimension, maxEmbeddingsPerCall: embedder.maxEmbeddingsPerCall, lowercase: embedder.lowercase });
} catch (error) {
  port.postMessage({ ready: false, error: (error as Error).message, name: (error as Error).name });
}
