import { Counter, Gauge, type Registry } from 'prom-client';

/** Per-channel counters; every label value is bounded (channel names, outcomes, API paths, platform errcodes). */
export function createChannelMetrics(registry: Registry) {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'kefu_channel_messages_total',
      help: 'Customer messages taken from a messaging channel, by channel and outcome (answered, refused, moderated, rate_limited, handoff, unsupported, failed)',
      labelNames: ['channel', 'outcome'],
      registers,
    }),
    duplicates: new Counter({ name: 'kefu_channel_duplicates_total', help: 'Platform retries of a message already taken (answered once, not again)', labelNames: ['channel'], registers }),
    replies: new Counter({
      name: 'kefu_channel_replies_total',
      help: 'Answers delivered, by channel and how (passive: in the callback response; push: customer-service message API; reply, webhook, robot_api)',
      labelNames: ['channel', 'via'],
      registers,
    }),
    apiCalls: new Counter({
      name: 'kefu_channel_api_calls_total',
      help: 'Calls to a platform API by channel, path and outcome (ok, the errcode, network)',
      labelNames: ['channel', 'path', 'outcome'],
      registers,
    }),
    tokenRefreshes: new Counter({ name: 'kefu_channel_token_refreshes_total', help: 'Platform access tokens fetched (once per expiry across replicas)', labelNames: ['channel'], registers }),
    rejected: new Counter({
      name: 'kefu_channel_callbacks_rejected_total',
      help: 'Platform callbacks refused, by channel and reason (signature, decrypt, malformed)',
      labelNames: ['channel', 'reason'],
      registers,
    }),
    handoffs: new Counter({ name: 'kefu_channel_handoffs_total', help: 'Conversations passed to a person, by channel and reason', labelNames: ['channel', 'reason'], registers }),
    connections: new Gauge({
      name: 'kefu_channel_connections',
      help: 'Outgoing platform connections this replica holds open (DingTalk Stream, Feishu long connection): 1 up, 0 down',
      labelNames: ['channel'],
      registers,
    }),
    moderationHits: new Counter({ name: 'kefu_moderation_hits_total', help: 'Sensitive-lexicon hits by category and where (question, answer)', labelNames: ['category', 'where'], registers }),
  };
}

export type ChannelMetrics = ReturnType<typeof createChannelMetrics>;
