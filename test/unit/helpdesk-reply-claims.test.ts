import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../src/channels/replay-guard.js';
import type { HandoffRequest, Handoffs } from '../../src/handoff/handoffs.js';
import { kefuReplySignature } from '../../src/handoff/helpdesk-replies.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { helpdeskRoutes } from '../../src/http/helpdesk-routes.js';
import { createLogger } from '../../src/log.js';
import { MemoryChannelState } from '../../src/state/channel-state.js';
import { MemoryState } from '../../src/state/shared-state.js';
import type { Suggestions } from '../../src/suggest/suggestions.js';

/**
 * A helpdesk reply is processed once per handoff: the same reply delivered again is a duplicate, but a reply on
 * another ticket that happens to carry the same id (a script numbering replies per ticket) is its own reply.
 */
describe('signed helpdesk replies', () => {
  it('are claimed once per handoff and reply id, not once per reply id across handoffs', async () => {
    const ids = ['0b6f1f0e-4c1a-4b7e-9a57-6f1f0e4c1a4b', '1c7f2f1e-5d2b-4c8f-8b68-7f2f1e5d2b5c'];
    const handoffs = new Map(ids.map((id) => [id, { id, question: `Question of ${id}`, audiences: [] } as unknown as HandoffRequest]));
    const resolved: string[] = [];
    const router = helpdeskRoutes({
      guards: [],
      handoffs: {
        find: async (id: string) => handoffs.get(id),
        resolve: async (handoff: HandoffRequest) => (resolved.push(handoff.id), { id: String(resolved.length), at: new Date().toISOString() }),
      } as unknown as Handoffs,
      suggestions: { fromHumanAnswer: async () => ({ id: 'suggestion' }) } as unknown as Suggestions,
      replay: new ReplayGuard(new MemoryChannelState(), 300),
      claims: new MemoryChannelState(),
      replySecret: 'reply-secret',
      bodyLimitBytes: 100_000,
      state: new MemoryState(),
    });
    const app = express()
      .use(router)
      .use(errorHandler(createLogger('silent')));
    const send = (body: object) => {
      const text = JSON.stringify(body);
      const timestamp = String(Math.floor(Date.now() / 1000));
      return request(app)
        .post('/v1/helpdesk/replies')
        .set({ 'content-type': 'application/json', 'x-kefu-timestamp': timestamp, 'x-kefu-signature': kefuReplySignature('reply-secret', timestamp, text) })
        .send(text);
    };
    const first = await send({ handoffId: ids[0], replyId: '1', answer: 'Returns are taken within 30 days.' });
    const other = await send({ handoffId: ids[1], replyId: '1', answer: 'The band charges in two hours.' });
    const again = await send({ handoffId: ids[0], replyId: '1', answer: 'Returns are taken within 30 days.' });
    expect([first.status, first.body.result]).toEqual([201, 'recorded']);
    expect([other.status, other.body.result]).toEqual([201, 'recorded']);
    expect([again.status, again.body.result]).toEqual([200, 'duplicate']);
    expect(resolved).toEqual(ids);
  });
});
