import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { ReplayGuard } from '../channels/replay-guard.js';
import { DomainError, notFound } from '../errors.js';
import type { Handoffs } from '../handoff/handoffs.js';
import { type HelpdeskProtocol, type HelpdeskReply, type ReplyReading, SIGNED_JSON, ZENDESK } from '../handoff/helpdesk-replies.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import { type ChannelState, MemoryChannelState, RedisChannelState } from '../state/channel-state.js';
import type { SharedState } from '../state/shared-state.js';
import { recordHandoffResolution } from '../suggest/handoff-resolution.js';
import type { Suggestions } from '../suggest/suggestions.js';
import { workspacePrefix } from '../workspaces/scoped-state.js';
import { auditTrail } from './audit-trail.js';
import { AppError } from './http-error.js';

export interface HelpdeskRouteOptions {
  /** Load shedding only: a helpdesk calls from many addresses, and the signature is the gate (no API key). */
  guards: RequestHandler[];
  handoffs: Handoffs;
  suggestions: Suggestions;
  /** Signed deliveries older than the window are refused. */
  replay: ReplayGuard;
  /** Where "this reply was processed" is claimed, across replicas. */
  claims: ChannelState;
  /** Secrets from the settings (never the admin API); a route exists only when its secret is set. */
  zendeskSecret?: string;
  replySecret?: string;
  bodyLimitBytes: number;
  /** For the audit trail. */
  state: SharedState;
  /** Each delivery's outcome (a metric). */
  onReply?: (helpdesk: HelpdeskReply['helpdesk'], result: string) => void;
}

/** A reply is processed once; its claim outlives any helpdesk's retries (Zendesk retries within minutes). */
const PROCESSED_SECONDS = 7 * 86_400;

/**
 * The inbound half of the handoff: a helpdesk delivers its agent's public reply on a ticket Kefu's webhook opened,
 * and it is recorded as the handoff's resolution (masked) and becomes a suggestion, as
 * `POST /v1/admin/handoffs/:id/resolution` does. `POST /v1/helpdesk/zendesk` takes Zendesk's signed
 * `ticket.comment_added` events; `POST /v1/helpdesk/replies` our own signed JSON form (docs/suggestions.md).
 */
export function helpdeskRoutes(options: HelpdeskRouteOptions): Router {
  const router = Router();
  const audit = auditTrail(options.state);
  const raw = express.text({ type: () => true, limit: options.bodyLimitBytes });
  const refuse = (helpdesk: HelpdeskReply['helpdesk'], reason: string, message: string) => {
    options.onReply?.(helpdesk, reason);
    return new AppError(401, `helpdesk_${reason}`, message);
  };
  const parseJson = (helpdesk: HelpdeskReply['helpdesk'], text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      options.onReply?.(helpdesk, 'malformed');
      throw new AppError(400, 'helpdesk_malformed', 'The body is not JSON');
    }
  };

  /** After the signature: the replay window, then the reading's handoff, once per reply. */
  const accept = async (request: Request, response: Response, delivery: { helpdesk: HelpdeskReply['helpdesk']; seconds: string; nonce: string; body: string; reading: ReplyReading }) => {
    const { helpdesk, reading } = delivery;
    const verdict = await options.replay.check(`helpdesk-${helpdesk}`, delivery.seconds, delivery.nonce, delivery.body);
    if (verdict !== 'ok')
      throw refuse(helpdesk, verdict, verdict === 'stale' ? 'The signature timestamp is outside HELPDESK_REPLAY_WINDOW_SECONDS' : 'This delivery id was already used with another body');
    // Acknowledged with 200: a helpdesk retries errors, and these will not get better.
    if (reading.kind === 'ignored') {
      options.onReply?.(helpdesk, reading.reason);
      return void response.json({ result: 'ignored', reason: reading.reason });
    }
    const reply = reading.reply;
    if (!reply.handoffId) {
      options.onReply?.(helpdesk, 'not_a_handoff');
      return void response.json({ result: 'ignored', reason: 'not_a_handoff' });
    }
    const handoff = await options.handoffs.find(reply.handoffId);
    if (!handoff) {
      options.onReply?.(helpdesk, 'unknown_handoff');
      throw notFound('handoff_not_found', `No handoff request ${reply.handoffId} (requests are kept for RETENTION_HANDOFF_DAYS)`);
    }
    // Per handoff: a helpdesk (or script) may number its replies per ticket, and reply 1 on one ticket is not reply 1 on another.
    const claim = `helpdesk:${helpdesk}:reply:${reply.handoffId}:${reply.replyId}`;
    if (!(await options.claims.claim(claim, reply.handoffId, PROCESSED_SECONDS))) {
      options.onReply?.(helpdesk, 'duplicate');
      return void response.json({ result: 'duplicate', handoffId: handoff.id });
    }
    try {
      const recorded = await recordHandoffResolution(options, handoff, { answer: reply.answer, ...(reply.question ? { question: reply.question } : {}) }, reply.by);
      await audit(request, 'handoff.resolution', { handoff: handoff.id, suggestion: recorded.suggestion.id, by: reply.by, helpdesk, ticket: reply.ticketId });
      options.onReply?.(helpdesk, 'recorded');
      response.status(201).json({ result: 'recorded', handoffId: handoff.id, resolution: recorded.resolution, suggestion: recorded.suggestion });
    } catch (error) {
      // A later reply on a ticket whose suggestion was already accepted or rejected: the resolution is logged (the
      // support list shows it), and there is nothing to suggest. Not an error: a helpdesk would retry a 409.
      if (error instanceof DomainError && error.code === 'suggestion_decided') {
        options.onReply?.(helpdesk, 'recorded');
        return void response.status(201).json({ result: 'recorded', handoffId: handoff.id, suggestion: null, reason: 'suggestion_decided' });
      }
      // Not processed: the helpdesk's retry may try again.
      await options.claims.release(claim, reply.handoffId).catch(() => undefined);
      throw error;
    }
  };

  const protocols: [HelpdeskProtocol, string | undefined][] = [
    [ZENDESK, options.zendeskSecret],
    [SIGNED_JSON, options.replySecret],
  ];
  for (const [protocol, secret] of protocols) {
    if (!secret) continue;
    router.post(protocol.path, ...options.guards, raw, async (request: Request, response: Response) => {
      const body = typeof request.body === 'string' ? request.body : '';
      const timestamp = request.header(protocol.timestampHeader) ?? '';
      if (!protocol.verify(secret, timestamp, body, request.header(protocol.signatureHeader) ?? '')) {
        throw refuse(protocol.helpdesk, 'signature', `${protocol.signatureHeader} does not match ${protocol.secretSetting}`);
      }
      const { nonce, reading } = protocol.read(parseJson(protocol.helpdesk, body), (name) => request.header(name));
      await accept(request, response, { helpdesk: protocol.helpdesk, seconds: protocol.seconds(timestamp), nonce, body, reading });
    });
  }
  return router;
}

/** The helpdesk routes the settings turn on (a signing secret each), with the shared state their claims live in. */
export function buildHelpdeskRoutes(
  config: Config,
  logger: Logger,
  parts: Pick<HelpdeskRouteOptions, 'guards' | 'handoffs' | 'suggestions' | 'state' | 'onReply'>,
): { routers: Router[]; close: () => Promise<void> } {
  if (!config.HELPDESK_ZENDESK_SIGNING_SECRET && !config.HELPDESK_REPLY_SECRET) return { routers: [], close: async () => {} };
  const claims = config.REDIS_URL
    ? new RedisChannelState(config.REDIS_URL, `${config.REDIS_KEY_PREFIX}${workspacePrefix(config.WORKSPACE_ID)}helpdesk:`, (error) => logger.warn({ err: error }, 'helpdesk replies: Redis error'))
    : new MemoryChannelState();
  const router = helpdeskRoutes({
    ...parts,
    replay: new ReplayGuard(claims, config.HELPDESK_REPLAY_WINDOW_SECONDS),
    claims,
    zendeskSecret: config.HELPDESK_ZENDESK_SIGNING_SECRET,
    replySecret: config.HELPDESK_REPLY_SECRET,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  });
  return { routers: [router], close: () => claims.close() };
}
