import { timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { AppError } from './http-error.js';
import type { ChannelMetrics } from '../channels/channel-metrics.js';
import { type FeishuBot, feishuMessageEvent } from '../channels/feishu-bot.js';
import { feishuDecrypt, feishuSignature } from '../channels/feishu-crypto.js';
import type { ReplayGuard } from '../channels/replay-guard.js';

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export interface FeishuOptions {
  verificationToken: string;
  encryptKey?: string;
  bot: FeishuBot;
  metrics: ChannelMetrics;
  guards?: RequestHandler[];
  bodyLimitBytes: number;
  /** Signed events too old, or a nonce already used with another body, are refused. */
  replay: ReplayGuard;
}

const CHANNEL = 'feishu';

/**
 * Feishu (飞书) event subscription by request URL (src/channels/feishu-crypto.ts has the encryption and signature;
 * src/channels/feishu-bot.ts what is done with a message, shared with the long connection).
 * POST /channels/feishu: the URL check and `im.message.receive_v1`; replies through the message reply API. */
export function feishuRoutes(options: FeishuOptions): Router {
  const router = Router();
  const reject = (reason: string, status: number, message: string) => {
    options.metrics.rejected.inc({ channel: CHANNEL, reason });
    return new AppError(status, `feishu_${reason}`, message);
  };

  router.post('/channels/feishu', ...(options.guards ?? []), express.text({ type: () => true, limit: options.bodyLimitBytes }), async (request: Request, response: Response) => {
    const raw = typeof request.body === 'string' ? request.body : '';
    let body: Record<string, unknown>;
    let signed = false;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
      if (options.encryptKey) {
        const expected = feishuSignature(request.header('x-lark-request-timestamp') ?? '', request.header('x-lark-request-nonce') ?? '', options.encryptKey, raw);
        // The URL check itself comes unsigned; every event is signed.
        const signature = request.header('x-lark-signature');
        if (signature !== undefined && !sameText(signature, expected)) throw reject('signature', 401, 'X-Lark-Signature does not match FEISHU_ENCRYPT_KEY');
        signed = signature !== undefined;
        if (typeof body.encrypt !== 'string') throw reject('decrypt', 400, 'An Encrypt Key is set but the body is not encrypted');
        body = JSON.parse(feishuDecrypt(options.encryptKey, body.encrypt)) as Record<string, unknown>;
        if (signature === undefined && body.type !== 'url_verification') throw reject('signature', 401, 'X-Lark-Signature is missing');
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw reject('malformed', 400, `Not a Feishu event: ${(error as Error).message}`);
    }
    // Only a signature vouches for the timestamp and nonce (without an Encrypt Key, Feishu signs nothing).
    if (signed) {
      const verdict = await options.replay.check(CHANNEL, request.header('x-lark-request-timestamp') ?? '', request.header('x-lark-request-nonce') ?? '', raw);
      if (verdict !== 'ok') throw reject(verdict, 401, verdict === 'stale' ? 'X-Lark-Request-Timestamp is outside the replay window' : 'This nonce was already used');
    }
    if (body.type === 'url_verification') {
      if (typeof body.token !== 'string' || !sameText(body.token, options.verificationToken)) throw reject('signature', 401, 'The Verification Token does not match');
      return void response.json({ challenge: body.challenge });
    }
    const parsed = feishuMessageEvent.safeParse(body);
    if (!parsed.success || !sameText(parsed.data.header.token ?? '', options.verificationToken)) {
      if (parsed.success) throw reject('signature', 401, 'The Verification Token does not match');
      // Other events (a bot added to a chat, a message read…): acknowledged, nothing to answer.
      return void response.json({});
    }
    response.json({});
    await options.bot.receive(parsed.data);
  });
  return router;
}
