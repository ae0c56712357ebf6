import type { Response } from 'express';

/** Server-Sent Events on an Express response: `event: <name>` + one JSON `data:` line per event. */
export class SseWriter {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly response: Response, heartbeatMs = 15_000) {
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('Connection', 'keep-alive');
    // Reverse proxies (nginx) must not buffer the stream.
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    // A comment line now and then keeps proxies from closing a stream that waits on a slow first token.
    this.heartbeat = setInterval(() => {
      if (!response.writableEnded) response.write(': keep-alive\n\n');
    }, heartbeatMs).unref();
  }

  send(event: string, data: unknown): void {
    if (this.response.writableEnded) return;
    this.response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** A bare `data:` line, as the OpenAI streaming format has them (no event names; `[DONE]` as plain text). */
  data(data: unknown): void {
    if (this.response.writableEnded) return;
    this.response.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.response.writableEnded) this.response.end();
  }
}
