import type { ChannelState } from '../state/channel-state.js';
import { SharedAccessToken } from './access-token.js';
import type { ChannelMetrics } from './channel-metrics.js';

export interface DingtalkRobotApiOptions {
  clientId: string;
  clientSecret: string;
  /** https://api.dingtalk.com (the gateway's host; a test double in tests). */
  apiBase: string;
  timeoutMs: number;
  state: ChannelState;
  metrics: ChannelMetrics;
}

const CHANNEL = 'dingtalk';

/**
 * The robot's own send API, for an answer that outlived its message's session webhook: one-to-one
 * (`/v1.0/robot/oToMessages/batchSend`, to the sender's staff id) or to the group (`/v1.0/robot/groupMessages/send`,
 * by its openConversationId), as the `sampleText` template. The app's access token (`/v1.0/oauth2/accessToken`) is
 * shared by the replicas and renewed once when DingTalk refuses it (HTTP 401).
 */
export class DingtalkRobotApi {
  private readonly token: SharedAccessToken;

  constructor(private readonly options: DingtalkRobotApiOptions) {
    this.token = new SharedAccessToken(
      options.state,
      `dingtalk:${options.clientId}:access-token`,
      async () => {
        const body = await this.call('/v1.0/oauth2/accessToken', { appKey: options.clientId, appSecret: options.clientSecret });
        return { token: String(body.accessToken), expiresInSeconds: Number(body.expireIn) || 7200 };
      },
      { onRefresh: () => options.metrics.tokenRefreshes.inc({ channel: CHANNEL }) },
    );
  }

  private async call(path: string, payload: unknown, token?: string): Promise<Record<string, unknown>> {
    const o = this.options;
    const response = await fetch(o.apiBase.replace(/\/$/, '') + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json', ...(token ? { 'x-acs-dingtalk-access-token': token } : {}) },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    o.metrics.apiCalls.inc({ channel: CHANNEL, path, outcome: response.ok ? 'ok' : String(body.code ?? response.status) });
    if (!response.ok) throw Object.assign(new Error(`${path}: HTTP ${response.status} ${String(body.code ?? '')} ${String(body.message ?? '')}`), { status: response.status });
    return body;
  }

  /** Sends `content` to the one user (`userId`: the staff id) or to the group (`openConversationId`). */
  async send(to: { robotCode: string; userId?: string; openConversationId?: string }, content: string): Promise<void> {
    const path = to.openConversationId ? '/v1.0/robot/groupMessages/send' : '/v1.0/robot/oToMessages/batchSend';
    const payload = {
      robotCode: to.robotCode,
      ...(to.openConversationId ? { openConversationId: to.openConversationId } : { userIds: [to.userId] }),
      msgKey: 'sampleText',
      msgParam: JSON.stringify({ content }),
    };
    let token = await this.token.get();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call(path, payload, token);
        return;
      } catch (error) {
        if (attempt === 1 && (error as { status?: number }).status === 401) {
          token = await this.token.renew(token);
          continue;
        }
        throw error;
      }
    }
  }
}
