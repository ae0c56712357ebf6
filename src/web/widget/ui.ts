import { ApiError, type Done, type KefuApi, type Meta, type Source, type Turn } from './api.js';
import { TEXT, type UiLang, type UiText } from './i18n.js';
import { renderMarkdown } from './markdown.js';
import { STYLES } from './styles.js';

export interface WidgetOptions {
  api: KefuApi;
  lang: UiLang;
  title?: string;
  color: string;
  productLine?: string;
  /** Where the conversation id is kept across reloads. */
  storageKey: string;
}

const CHAT_ICON = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
// Drawn, not emoji: many systems (and headless browsers) have no emoji font.
const THUMB_UP = 'M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z';
const THUMB_DOWN = 'M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.3c0 .4.2.8.4 1.1l1.1 1 6.6-6.6c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2H7c-.8 0-1.5.5-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2z';

/** The chat launcher and panel, rendered into a shadow root so neither page nor widget can restyle the other. */
export class ChatWidget {
  private readonly text: UiText;
  private readonly root: ShadowRoot;
  private readonly launcher: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly log: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private sessionId: string;
  private busy = false;
  private historyLoaded = false;

  constructor(
    host: HTMLElement,
    private readonly options: WidgetOptions,
  ) {
    this.text = TEXT[options.lang];
    this.root = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLES;
    // Inline !important outranks any stylesheet rule of the page, even `* { display: none !important }`.
    const hostStyle = { all: 'initial', display: 'block', position: 'fixed', 'z-index': '2147483000', right: '20px', bottom: '20px', visibility: 'visible', opacity: '1' };
    for (const [property, value] of Object.entries(hostStyle)) host.style.setProperty(property, value, 'important');
    host.style.setProperty('--kefu-color', contrastSafe(options.color));
    const shell = element('div', { class: 'kefu' });
    this.root.append(style, shell);

    const panelId = 'kefu-panel';
    this.launcher = element('button', { class: 'launcher', type: 'button', 'aria-label': this.text.open, 'aria-expanded': 'false', 'aria-controls': panelId });
    this.launcher.append(svgIcon(CHAT_ICON));
    this.panel = element('section', { class: 'panel', id: panelId, role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'kefu-title', lang: options.lang === 'zh' ? 'zh-CN' : 'en' });
    this.panel.hidden = true;

    const header = element('header');
    const title = element('h2', { id: 'kefu-title' }, options.title || this.text.title);
    const reset = element('button', { type: 'button', class: 'reset' }, this.text.newConversation);
    const close = element('button', { type: 'button', class: 'close', 'aria-label': this.text.close }, '✕');
    header.append(title, reset, close);

    this.log = element('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': this.text.messageLog, tabindex: '0' });
    const form = element('form');
    const label = element('label', { class: 'sr-only', for: 'kefu-input' }, this.text.placeholder);
    this.input = element('textarea', { class: 'input', id: 'kefu-input', rows: '1', placeholder: this.text.placeholder, maxlength: '2000', dir: 'auto' });
    this.sendButton = element('button', { type: 'submit' }, this.text.send);
    form.append(label, this.input, this.sendButton);
    this.panel.append(header, this.log, form);
    shell.append(this.launcher, this.panel);

    this.sessionId = this.loadSessionId();
    this.launcher.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));
    close.addEventListener('click', () => this.close());
    reset.addEventListener('click', () => void this.newConversation());
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
    this.input.addEventListener('keydown', (event) => {
      // While an input method is composing (typing Chinese), Enter confirms the candidate: never send then.
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      void this.send();
    });
    if (sessionStorage.getItem(`${options.storageKey}:open`) === '1') this.open(false);
  }

  open(focus = true): void {
    this.panel.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.launcher.setAttribute('aria-label', this.text.closeChat);
    sessionStorage.setItem(`${this.options.storageKey}:open`, '1');
    if (!this.historyLoaded) void this.loadHistory();
    if (focus) this.input.focus();
  }

  close(): void {
    this.panel.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.setAttribute('aria-label', this.text.open);
    sessionStorage.removeItem(`${this.options.storageKey}:open`);
    this.launcher.focus();
  }

  private loadSessionId(): string {
    const stored = localStorage.getItem(this.options.storageKey);
    if (stored && /^[A-Za-z0-9_-]{8,128}$/.test(stored)) return stored;
    const id = newId();
    localStorage.setItem(this.options.storageKey, id);
    return id;
  }

  private async loadHistory(): Promise<void> {
    this.historyLoaded = true;
    this.log.replaceChildren();
    let turns: Turn[] = [];
    try {
      turns = await this.options.api.history(this.sessionId);
    } catch {
      turns = [];
    }
    if (turns.length === 0) this.log.append(this.botBubble(this.text.welcome));
    for (const turn of turns) {
      this.log.append(this.userBubble(turn.question));
      const bubble = this.botBubble('');
      this.log.append(bubble);
      this.renderAnswer(bubble, turn.answer, { answerId: turn.answerId, answer: turn.answer, mode: turn.mode, refused: turn.mode === 'refusal', notice: null, citations: turn.citations, productLine: turn.productLine }, null, turn.citations, false);
    }
    this.scroll();
  }

  private async newConversation(): Promise<void> {
    const old = this.sessionId;
    this.sessionId = newId();
    localStorage.setItem(this.options.storageKey, this.sessionId);
    this.historyLoaded = true;
    this.log.replaceChildren(this.botBubble(this.text.welcome));
    this.input.focus();
    await this.options.api.forget(old).catch(() => undefined);
  }

  private async send(question = this.input.value.trim(), reuse?: HTMLElement): Promise<void> {
    if (!question || this.busy) return;
    this.busy = true;
    this.sendButton.disabled = true;
    if (!reuse) {
      this.input.value = '';
      this.log.append(this.userBubble(question));
    }
    const bubble = reuse ?? this.botBubble('');
    bubble.removeAttribute('data-state');
    this.fill(bubble, element('span', { class: 'typing' }, this.text.thinking));
    bubble.setAttribute('aria-busy', 'true');
    if (!reuse) this.log.append(bubble);
    this.scroll();

    let meta: Meta | null = null;
    let streamed = '';
    let frame = 0;
    try {
      await this.options.api.ask(
        { question, sessionId: this.sessionId, lang: this.options.lang, productLine: this.options.productLine },
        {
          meta: (data) => (meta = data),
          token: (text) => {
            streamed += text;
            // Re-render at most once per frame: tokens can arrive faster than the screen refreshes.
            if (!frame)
              frame = requestAnimationFrame(() => {
                frame = 0;
                this.fill(bubble, renderMarkdown(streamed));
                this.scroll();
              });
          },
          done: (done) => {
            if (frame) cancelAnimationFrame(frame);
            this.renderAnswer(bubble, done.answer, done, meta, meta?.sources ?? done.citations, true);
          },
        },
      );
    } catch (error) {
      if (frame) cancelAnimationFrame(frame);
      this.renderError(bubble, error, question);
    } finally {
      bubble.removeAttribute('aria-busy');
      this.busy = false;
      this.sendButton.disabled = false;
      this.scroll();
    }
  }

  private renderAnswer(bubble: HTMLElement, answer: string, done: Done, meta: Meta | null, sources: Source[], withFeedback: boolean): void {
    this.fill(bubble);
    const cited = new Set(done.citations.map((source) => source.n));
    const listId = (n: number) => `kefu-src-${done.answerId}-${n}`;
    if (done.refused) {
      bubble.dataset.state = 'refusal';
      bubble.append(element('div', { class: 'refusal-title' }, this.text.refusalTitle));
    } else {
      bubble.dataset.state = done.mode;
      if (meta?.productLineName && meta.productLine !== 'unknown') bubble.append(element('span', { class: 'badge' }, `${this.text.productLine}: ${meta.productLineName}`));
    }
    bubble.append(
      renderMarkdown(answer, {
        citation: (n) => {
          if (!cited.has(n)) return null;
          const link = element('a', { class: 'cite', href: `#${listId(n)}`, 'aria-label': `${this.text.sources} ${n}` }, `[${n}]`);
          link.addEventListener('click', (event) => {
            event.preventDefault();
            const item = this.root.getElementById(listId(n));
            const details = item?.querySelector('details');
            if (details) details.open = true;
            item?.classList.add('flash');
            item?.scrollIntoView({ block: 'nearest' });
            (item?.querySelector('summary') as HTMLElement | null)?.focus();
          });
          return link;
        },
      }),
    );
    if (done.notice) bubble.append(element('div', { class: 'notice' }, done.notice));
    const shown = sources.filter((source) => cited.has(source.n));
    if (shown.length) {
      const block = element('div', { class: 'sources' });
      block.append(element('h3', {}, this.text.sources));
      const list = element('ol');
      for (const source of shown) {
        const item = element('li', { id: listId(source.n), value: String(source.n) });
        const details = element('details');
        details.append(element('summary', {}, [source.title, source.heading].filter(Boolean).join(' — ')));
        if (source.snippet) details.append(element('div', { class: 'snippet' }, source.snippet));
        details.append(element('div', { class: 'path' }, source.path));
        item.append(details);
        list.append(item);
      }
      block.append(list);
      bubble.append(block);
    }
    if (withFeedback && !done.refused) bubble.append(this.feedbackControls(done.answerId));
  }

  private feedbackControls(answerId: string): HTMLElement {
    const box = element('div', { class: 'feedback' });
    const up = element('button', { type: 'button', 'aria-pressed': 'false', 'aria-label': this.text.helpful, title: this.text.helpful });
    const down = element('button', { type: 'button', 'aria-pressed': 'false', 'aria-label': this.text.notHelpful, title: this.text.notHelpful });
    up.append(svgIcon(THUMB_UP));
    down.append(svgIcon(THUMB_DOWN));
    const finish = () => box.replaceChildren(element('span', { class: 'notice', role: 'status' }, this.text.thanks));
    up.addEventListener('click', () => {
      up.setAttribute('aria-pressed', 'true');
      void this.options.api.feedback(answerId, 'up').then(finish, finish);
    });
    down.addEventListener('click', () => {
      down.setAttribute('aria-pressed', 'true');
      up.disabled = true;
      const comment = element('textarea', { 'aria-label': this.text.commentPlaceholder, placeholder: this.text.commentPlaceholder, maxlength: '2000' });
      const submit = element('button', { type: 'button' }, this.text.submit);
      submit.addEventListener('click', () => void this.options.api.feedback(answerId, 'down', comment.value.trim() || undefined).then(finish, finish));
      box.append(comment, submit);
      comment.focus();
    });
    box.append(up, down);
    return box;
  }

  private renderError(bubble: HTMLElement, error: unknown, question: string): void {
    const status = error instanceof ApiError ? error.status : 0;
    // A refused key or origin is the site's set-up, not the customer's question: say so (the console says more).
    const message =
      status === 429
        ? this.text.errorRateLimited(Math.max(1, (error as ApiError).retryAfter))
        : status === 0
          ? this.text.errorNetwork
          : status === 401 || status === 403
            ? this.text.errorMisconfigured
            : status >= 500
              ? this.text.errorServer
              : this.text.errorBadRequest;
    bubble.dataset.state = 'error';
    bubble.setAttribute('role', 'alert');
    const retry = element('button', { type: 'button', class: 'retry' }, this.text.retry);
    retry.addEventListener('click', () => {
      bubble.removeAttribute('role');
      void this.send(question, bubble);
    });
    const actions = element('div', { class: 'error-actions' });
    actions.append(retry);
    this.fill(bubble, element('div', {}, message), actions);
  }

  private userBubble(text: string): HTMLElement {
    // dir="auto": an Arabic or Hebrew question keeps its own direction inside a left-to-right widget.
    const bubble = element('div', { class: 'msg user', dir: 'auto' });
    bubble.append(element('span', { class: 'sr-only' }, `${this.text.you}: `), text);
    return bubble;
  }

  private botBubble(text: string): HTMLElement {
    const bubble = element('div', { class: 'msg bot', dir: 'auto' });
    this.fill(bubble, text);
    return bubble;
  }

  /** Replaces a reply's content, keeping the "Assistant:" a screen reader says before it. */
  private fill(bubble: HTMLElement, ...content: (Node | string)[]): void {
    bubble.replaceChildren(element('span', { class: 'sr-only' }, `${this.text.assistant}: `), ...content);
  }

  private scroll(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgIcon(path: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const shape = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  shape.setAttribute('d', path);
  svg.append(shape);
  return svg;
}

function newId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * White text must stay readable on the theme colour (WCAG AA, 4.5:1): a colour that is too light is
 * darkened step by step until it passes. Invalid colours fall back to the default.
 */
export function contrastSafe(color: string): string {
  const match = /^#?([0-9a-f]{6})$/i.exec(color.trim());
  if (!match) return '#1f6feb';
  let [r, g, b] = [0, 2, 4].map((index) => parseInt(match[1].slice(index, index + 2), 16));
  const luminance = () => {
    const channel = (value: number) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  while (1.05 / (luminance() + 0.05) < 4.5) [r, g, b] = [r, g, b].map((value) => Math.floor(value * 0.9));
  return `#${[r, g, b].map((value) => value.toString(16).padStart(2, '0')).join('')}`;
}
