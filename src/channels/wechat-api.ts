import type { ChannelState } from '../state/channel-state.js';
import { type FetchedToken, SharedAccessToken } from './access-token.js';

/** An `errcode` answer from a WeChat or WeCom API (errcode 0 is success and never thrown). */
export class WechatApiError extends Error {
  override name = 'WechatApiError';
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly path: string,
  ) {
    super(`${path}: errcode ${errcode} ${errmsg}`);
  }
}

/** Token errors the platforms return: 40001 invalid credential, 40014 invalid access_token, 42001 access_token expired. */
export const TOKEN_ERRORS = new Set([40001, 40014, 42001]);

export interface WechatApiOptions {
  /** https://api.weixin.qq.com (Official Accounts) or https://qyapi.weixin.qq.com (WeCom); a test double's address in tests. */
  baseUrl: string;
  /** The token request: path and query (`/cgi-bin/token?grant_type=client_credential&appid=…&secret=…`). */
  tokenPath: string;
  state: ChannelState;
  /** Where the token is cached, per account: two accounts on one Redis never share one. */
  tokenKey: string;
  timeoutMs: number;
  /** Each call's outcome, for metrics: `ok`, the errcode, or `network`. */
  onCall?: (path: string, outcome: string) => void;
  onTokenRefresh?: () => void;
}

/** JSON calls to a WeChat-style API with a shared access token, renewed once when the platform rejects it. */
export class WechatApi {
  readonly token: SharedAccessToken;

  constructor(private readonly options: WechatApiOptions) {
    this.token = new SharedAccessToken(options.state, options.tokenKey, () => this.fetchToken(), { onRefresh: options.onTokenRefresh });
  }

  private async request(path: string, init: RequestInit): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(this.options.baseUrl + path, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      this.options.onCall?.(metricPath(path), 'network');
      throw error;
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      this.options.onCall?.(metricPath(path), `http_${response.status}`);
      throw new Error(`${metricPath(path)}: HTTP ${response.status}, not JSON`);
    }
    if (typeof body !== 'object' || body === null) throw new Error(`${metricPath(path)}: unexpected answer`);
    const record = body as Record<string, unknown>;
    const errcode = typeof record.errcode === 'number' ? record.errcode : 0;
    this.options.onCall?.(metricPath(path), errcode === 0 ? 'ok' : String(errcode));
    if (errcode !== 0) throw new WechatApiError(errcode, String(record.errmsg ?? ''), metricPath(path));
    return record;
  }

  private async fetchToken(): Promise<FetchedToken> {
    const body = await this.request(this.options.tokenPath, { method: 'GET' });
    if (typeof body.access_token !== 'string' || !body.access_token) throw new Error('token answer without access_token');
    return { token: body.access_token, expiresInSeconds: Number(body.expires_in) || 7200 };
  }

  /** POST JSON to `path` with `?access_token=`; a rejected token is renewed (once across replicas) and the call repeated once. */
  async post(path: string, payload: unknown): Promise<Record<string, unknown>> {
    let token = await this.token.get();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request(`${path}?access_token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      } catch (error) {
        if (attempt === 1 && error instanceof WechatApiError && TOKEN_ERRORS.has(error.errcode)) {
          token = await this.token.renew(token);
          continue;
        }
        throw error;
      }
    }
  }
}

/** The path without its query: a bounded metric label that never carries a token or secret. */
function metricPath(path: string): string {
  return path.split('?')[0]!;
}
