import WebSocket from 'ws';
import { z } from 'zod';
import type { Logger } from '../log.js';

/** The topic DingTalk pushes robot messages on (a CALLBACK subscription). */
export const DINGTALK_ROBOT_TOPIC = '/v1.0/im/bot/messages/get';

/** A frame DingTalk sends down the Stream connection (its "Stream模式协议接入说明"). */
const downstreamFrame = z.object({
  specVersion: z.string().optional(),
  type: z.enum(['SYSTEM', 'EVENT', 'CALLBACK']),
  headers: z.object({ messageId: z.string(), topic: z.string(), contentType: z.string().optional() }).passthrough(),
  data: z.string().default(''),
});
export type DownstreamFrame = z.infer<typeof downstreamFrame>;

const openedConnection = z.object({ endpoint: z.string().min(1), ticket: z.string().min(1) });

export interface DingtalkStreamOptions {
  clientId: string;
  clientSecret: string;
  /** Where `/v1.0/gateway/connections/open` is (https://api.dingtalk.com; a local double in tests). */
  gatewayBase: string;
  /** CALLBACK topics to subscribe to, each with its handler (called after the frame is acknowledged). */
  callbacks: Record<string, (data: string, frame: DownstreamFrame) => void>;
  logger: Logger;
  timeoutMs: number;
  /** Seconds between our WebSocket pings; a missing pong by the next one ends the connection. */
  keepAliveSeconds?: number;
  onState?: (state: 'connected' | 'disconnected') => void;
}

/**
 * The client side of DingTalk's Stream mode, written to the published protocol rather than through the
 * `dingtalk-stream` SDK: the SDK's gateway URL is a module constant (so it cannot be pointed at a self-hosted
 * gateway or a test double), it logs with console, and a frame that is not JSON throws inside the socket's
 * message handler, out of every try/catch. The protocol is small:
 *
 * 1. `POST {gateway}/v1.0/gateway/connections/open` with the app's clientId/clientSecret and the subscriptions
 *    → `{ endpoint, ticket }` (a ticket is good for one connection);
 * 2. a WebSocket to `endpoint?ticket=…`;
 * 3. down the socket, JSON frames `{ specVersion, type: SYSTEM|EVENT|CALLBACK, headers: { messageId, topic, … },
 *    data }`; every EVENT and CALLBACK is acknowledged with `{ code: 200, headers: { contentType, messageId },
 *    message: 'OK', data }` (unacknowledged ones are pushed again); a SYSTEM `ping` is answered with its own
 *    headers and data; a SYSTEM `disconnect` says the server will close this socket: a new connection is opened
 *    (with a new ticket) at once.
 *
 * Reconnects back off from 1 s to 60 s with jitter. Test/self-hosted only: `gatewayBase`.
 */
export class DingtalkStreamClient {
  private socket?: WebSocket;
  private stopped = false;
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;

  constructor(private readonly options: DingtalkStreamOptions) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.options.onState?.('disconnected');
    if (!socket) return;
    await new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      socket.once('close', () => resolve());
      socket.on('error', () => {});
      socket.close();
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000).unref();
    });
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  private async openConnection(): Promise<string> {
    const response = await fetch(`${this.options.gatewayBase.replace(/\/$/, '')}/v1.0/gateway/connections/open`, {
      method: 'POST',
      // Without Accept the gateway answers in XML.
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: this.options.clientId,
        clientSecret: this.options.clientSecret,
        subscriptions: Object.keys(this.options.callbacks).map((topic) => ({ type: 'CALLBACK', topic })),
        ua: 'kefu',
      }),
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    const parsed = openedConnection.safeParse(body);
    if (!response.ok || !parsed.success) throw new Error(`gateway: HTTP ${response.status} ${String(body.code ?? '')} ${String(body.message ?? '')}`.trim());
    const url = new URL(parsed.data.endpoint);
    url.searchParams.set('ticket', parsed.data.ticket);
    return url.toString();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let url: string;
    try {
      url = await this.openConnection();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'dingtalk: the Stream gateway refused or failed');
      return this.retry();
    }
    if (this.stopped) return;
    const socket = new WebSocket(url, { handshakeTimeout: this.options.timeoutMs });
    this.socket = socket;
    let alive = true;
    socket.on('open', () => {
      this.attempt = 0;
      this.options.logger.info('dingtalk: Stream connection open');
      this.options.onState?.('connected');
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(
        () => {
          // A half-open TCP connection never closes by itself: no pong since the last ping ends it.
          if (!alive) return socket.terminate();
          alive = false;
          socket.ping();
        },
        (this.options.keepAliveSeconds ?? 20) * 1000,
      );
      this.pingTimer.unref();
    });
    socket.on('pong', () => {
      alive = true;
    });
    socket.on('message', (raw) => this.receive(socket, raw.toString()));
    socket.on('error', (error) => this.options.logger.warn({ err: error }, 'dingtalk: Stream socket error'));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      clearInterval(this.pingTimer);
      this.socket = undefined;
      this.options.onState?.('disconnected');
      if (!this.stopped) this.retry();
    });
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = Math.min(60_000, 1000 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt = Math.min(this.attempt + 1, 10);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private receive(socket: WebSocket, raw: string): void {
    let frame: DownstreamFrame;
    try {
      frame = downstreamFrame.parse(JSON.parse(raw));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'dingtalk: a Stream frame that is not the protocol, ignored');
      return;
    }
    const { headers } = frame;
    if (frame.type === 'SYSTEM') {
      if (headers.topic === 'ping') socket.send(JSON.stringify({ code: 200, headers, message: 'OK', data: frame.data }));
      else if (headers.topic === 'disconnect') {
        // The server closes this socket soon: replace it now (a fresh ticket) so no message waits for the gap.
        this.options.logger.info('dingtalk: the server asked to reconnect');
        this.socket = undefined;
        clearInterval(this.pingTimer);
        socket.close();
        void this.connect();
      }
      return;
    }
    // Acknowledged first: the answer can take a minute, and DingTalk pushes an unacknowledged frame again.
    // Answering once per message is the handler's job (by msgId, across replicas).
    const data = frame.type === 'CALLBACK' ? JSON.stringify({ response: null }) : JSON.stringify({ status: 'SUCCESS', message: 'success' });
    socket.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: headers.messageId }, message: 'OK', data }));
    const handler = frame.type === 'CALLBACK' ? this.options.callbacks[headers.topic] : undefined;
    if (!handler) return;
    try {
      handler(frame.data, frame);
    } catch (error) {
      this.options.logger.error({ err: error, topic: headers.topic }, 'dingtalk: callback handler failed');
    }
  }
}
