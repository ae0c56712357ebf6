import { readSse } from './sse.js';

export interface Source {
  n: number;
  title: string;
  path: string;
  heading?: string;
  snippet?: string;
  productLine?: string;
  /** The document's public page, when it has one. */
  url?: string;
  /** From a document limited to audiences: only an agent-assist key gets such a source. */
  internal?: boolean;
  /** Images of the cited part (screenshots, diagrams), shown under the answer. */
  images?: { url: string; alt?: string; caption?: string }[];
}

export interface Done {
  answerId: string;
  answer: string;
  mode: 'generated' | 'extractive' | 'fallback' | 'refusal' | 'curated' | 'clarify' | 'suggest';
  refused: boolean;
  notice: string | null;
  citations: Source[];
  productLine: string;
  /** Mode "suggest" (the middle band without a model): questions the knowledge base answers, to pick and ask. */
  suggestions?: { text: string; docId: string }[];
  /** The visible AI-content label the service sends (generated, quoted or curated answers); empty for templates. */
  contentLabel?: { kind: string; text: string };
}

export interface Meta {
  answerId: string;
  productLine: string;
  productLineName: string | null;
  sources: Source[];
}

export interface Turn {
  answerId: string;
  question: string;
  answer: string;
  mode: Done['mode'];
  productLine: string;
  productLineName?: string | null;
  notice?: string | null;
  citations: Source[];
  at?: string;
}

/** An API failure the widget can explain: HTTP status (0 = network) and Retry-After seconds for 429. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter = 0,
    /** The API's error code (`invalid_api_key`, `origin_not_allowed`…), when it sent one. */
    readonly code?: string,
  ) {
    super(`HTTP ${status}${code ? ` ${code}` : ''}`);
  }
}

export class KefuApi {
  constructor(
    private readonly base: string,
    private readonly apiKey?: string,
  ) {}

  private headers(json = true): Record<string, string> {
    return { ...(json ? { 'content-type': 'application/json' } : {}), ...(this.apiKey ? { 'x-api-key': this.apiKey } : {}) };
  }

  private async call(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.base + path, init);
    } catch {
      // A network failure and an origin the API does not allow look the same from here (the browser hides a
      // CORS refusal): the site owner gets both explanations in the console.
      console.error(`Kefu widget: could not reach ${this.base}${path}. If the network is up, check that this page's origin (${location.origin}) is in the widget key's allowed origins.`);
      throw new ApiError(0);
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      const error = new ApiError(response.status, Number(response.headers.get('retry-after') ?? 0), body?.error?.code);
      if (response.status === 401 || response.status === 403) console.error(`Kefu widget: the API refused this widget (${response.status} ${body?.error?.code ?? ''}): ${body?.error?.message ?? ''}. Check data-api-key and the key's allowed origins.`);
      throw error;
    }
    return response;
  }

  async ask(body: { question: string; sessionId: string; lang?: string; productLine?: string }, handlers: { meta(meta: Meta): void; token(text: string): void; done(done: Done): void }, signal?: AbortSignal): Promise<void> {
    const response = await this.call('/v1/ask', { method: 'POST', headers: this.headers(), body: JSON.stringify({ ...body, stream: true, channel: 'widget', ...visitorContext() }), signal });
    let finished = false;
    await readSse(response, (event, data) => {
      if (event === 'meta') handlers.meta(data as Meta);
      else if (event === 'token') handlers.token((data as { text: string }).text);
      else if (event === 'done') {
        finished = true;
        handlers.done(data as Done);
      } else if (event === 'error') throw new ApiError(500);
    });
    if (!finished) throw new ApiError(0);
  }

  async history(sessionId: string): Promise<Turn[]> {
    const response = await this.call(`/v1/sessions/${encodeURIComponent(sessionId)}`, { headers: this.headers(false) });
    return ((await response.json()) as { turns: Turn[] }).turns;
  }

  async forget(sessionId: string): Promise<void> {
    await this.call(`/v1/sessions/${encodeURIComponent(sessionId)}`, { method: 'DELETE', headers: this.headers(false) });
  }

  async rate(sessionId: string, stars: number, comment?: string): Promise<void> {
    await this.call(`/v1/sessions/${encodeURIComponent(sessionId)}/rating`, { method: 'POST', headers: this.headers(), body: JSON.stringify({ stars, ...(comment ? { comment } : {}) }) });
  }

  async suggestions(lang: string, productLine?: string): Promise<string[]> {
    const query = new URLSearchParams({ lang, ...(productLine ? { productLine } : {}) });
    const response = await this.call(`/v1/suggestions?${query}`, { headers: this.headers(false) });
    return ((await response.json()) as { suggestions: string[] }).suggestions;
  }

  async handoff(body: { name: string; email: string; question: string; consent: true; sessionId?: string; answerId?: string; lang?: string; productLine?: string }): Promise<{ id: string }> {
    const response = await this.call('/v1/handoff', { method: 'POST', headers: this.headers(), body: JSON.stringify(body) });
    return (await response.json()) as { id: string };
  }

  async feedback(answerId: string, rating: 'up' | 'down', comment?: string): Promise<void> {
    await this.call('/v1/feedback', { method: 'POST', headers: this.headers(), body: JSON.stringify({ answerId, rating, ...(comment ? { comment } : {}) }) });
  }
}

/** The visitor's time zone and region as the browser knows them: the answer's prompt says what time it is there. */
function visitorContext(): { timeZone?: string; region?: string } {
  const context: { timeZone?: string; region?: string } = {};
  try {
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (timeZone && timeZone.length <= 64) context.timeZone = timeZone;
  } catch {
    // An old browser without Intl time zones: the prompt says the zone is not known.
  }
  const region = /^[a-z]{2,3}-([A-Za-z]{2})\b/i.exec(navigator.language ?? '')?.[1];
  if (region) context.region = region.toUpperCase();
  return context;
}
