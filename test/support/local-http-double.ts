import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The HTTP server under a test double of an external platform: it listens on a free local port and hands every
 * request to the platform's `handle`. The subclass is the protocol; this is only the socket.
 */
export abstract class LocalHttpDouble {
  private server?: Server;

  get base(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    // A platform that also speaks WebSocket (DingTalk Stream, Feishu's long connection) takes the upgrades.
    this.server.on('upgrade', (request, socket, head) => this.upgrade(request, socket as Socket, head));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  protected abstract handle(request: IncomingMessage, response: ServerResponse): Promise<void>;

  /** An HTTP upgrade: refused unless the platform speaks WebSocket. */
  protected upgrade(_request: IncomingMessage, socket: Socket, _head: Buffer): void {
    socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
  }
}
