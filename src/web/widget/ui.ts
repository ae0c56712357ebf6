import { ApiError, type Done, type KefuApi, type Meta, type Source, type Turn } from './api.js';
import { isRtl, type UiLang, type UiText, uiText } from './i18n.js';
import { renderMarkdown, safeUrl } from './markdown.js';
import { sourceImages } from './source-images.js';
import { STYLES } from './styles.js';

export interface WidgetOptions {
  api: KefuApi;
  lang: UiLang;
  title?: string;
  color: string;
  productLine?: string;
  /** Where the conversation id is kept across reloads. */
  storageKey: string;
  /** `light` (default), `dark`, or `auto` (the visitor's system setting). */
  theme?: 'light' | 'dark' | 'auto';
  /** A CSP nonce for the fallback <style> of browsers without constructable stylesheets. */
  nonce?: string;
  /** The API's MAX_QUESTION_CHARS. */
  maxChars?: number;
}

/** What the page can listen to (Kefu.on): an answer, a refusal, a handoff to a person, a conversation rating, the panel opening and closing. */
export type WidgetEvent = 'answer' | 'refusal' | 'handoff' | 'rating' | 'open' | 'close';
type Listener = (detail: unknown) => void;

const PHONE_LAYOUT = '(max-width: 480px), (max-height: 480px)';

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
  private readonly logWrap: HTMLElement;
  private readonly jump: HTMLButtonElement;
  private readonly counter: HTMLElement;
  private readonly unreadBadge: HTMLElement;
  private readonly confirmRow: HTMLElement;
  private readonly host: HTMLElement;
  private sessionId: string;
  private busy = false;
  private historyLoaded = false;
  /** Answers shown live in this page: a history that arrives late must not show them again. */
  private readonly liveAnswers = new Set<string>();
  private current?: AbortController;
  private unread = 0;
  private readonly listeners = new Map<WidgetEvent, Set<Listener>>();
  private scrollLock?: { overflow: string };
  private readonly maxChars: number;
  private readonly rated = new Set<string>();

  constructor(
    host: HTMLElement,
    private readonly options: WidgetOptions,
  ) {
    this.text = uiText(options.lang);
    this.host = host;
    this.maxChars = options.maxChars ?? 2000;
    this.root = host.attachShadow({ mode: 'open' });
    // Inline !important outranks any stylesheet rule of the page, even `* { display: none !important }`.
    const hostStyle = { all: 'initial', display: 'block', position: 'fixed', 'z-index': '2147483000', right: '20px', bottom: '20px', visibility: 'visible', opacity: '1' };
    for (const [property, value] of Object.entries(hostStyle)) host.style.setProperty(property, value, 'important');
    host.style.setProperty('--kefu-color', contrastSafe(options.color));
    const shell = element('div', { class: 'kefu', 'data-theme': options.theme ?? 'light' });
    this.root.append(shell);
    applyStyles(this.root, options.nonce);

    const panelId = 'kefu-panel';
    this.launcher = element('button', { class: 'launcher', type: 'button', 'aria-label': this.text.open, 'aria-expanded': 'false', 'aria-controls': panelId });
    this.unreadBadge = element('span', { class: 'unread', 'aria-hidden': 'true' });
    this.unreadBadge.hidden = true;
    this.launcher.append(svgIcon(CHAT_ICON), this.unreadBadge);
    this.panel = element('section', { class: 'panel', id: panelId, role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'kefu-title', lang: options.lang === 'zh' ? 'zh-CN' : options.lang, dir: isRtl(options.lang) ? 'rtl' : 'ltr' });
    this.panel.hidden = true;

    const header = element('header');
    const title = element('h2', { id: 'kefu-title' }, options.title || this.text.title);
    const reset = element('button', { type: 'button', class: 'reset' }, this.text.newConversation);
    const close = element('button', { type: 'button', class: 'close', 'aria-label': this.text.close }, '✕');
    // Asked before a conversation is discarded: inline, not window.confirm, which a page may have disabled.
    this.confirmRow = element('div', { class: 'confirm', role: 'alertdialog', 'aria-label': this.text.confirmReset });
    const confirmYes = element('button', { type: 'button', class: 'confirm-yes' }, this.text.confirmYes);
    const confirmNo = element('button', { type: 'button', class: 'confirm-no' }, this.text.confirmNo);
    this.confirmRow.append(element('span', {}, this.text.confirmReset), confirmYes, confirmNo);
    this.confirmRow.hidden = true;
    header.append(title, reset, close, this.confirmRow);

    this.log = element('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': this.text.messageLog, tabindex: '0' });
    this.jump = element('button', { type: 'button', class: 'jump' }, this.text.newMessage);
    this.jump.hidden = true;
    this.logWrap = element('div', { class: 'log-wrap' });
    this.logWrap.append(this.log, this.jump);
    const form = element('form');
    const label = element('label', { class: 'sr-only', for: 'kefu-input' }, this.text.placeholder);
    this.input = element('textarea', { class: 'input', id: 'kefu-input', rows: '1', placeholder: this.text.placeholder, maxlength: String(this.maxChars), dir: 'auto', 'aria-describedby': 'kefu-counter' });
    this.sendButton = element('button', { type: 'submit' }, this.text.send);
    this.counter = element('div', { class: 'counter', id: 'kefu-counter', 'aria-live': 'polite' });
    this.counter.hidden = true;
    form.append(label, this.input, this.sendButton, this.counter);
    this.panel.append(header, this.logWrap, form);
    shell.append(this.launcher, this.panel);

    this.sessionId = this.loadSessionId();
    this.launcher.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));
    close.addEventListener('click', () => this.close());
    reset.addEventListener('click', () => this.newConversation());
    confirmYes.addEventListener('click', () => void this.startOver());
    confirmNo.addEventListener('click', () => {
      this.confirmRow.hidden = true;
      reset.focus();
    });
    this.jump.addEventListener('click', () => this.scroll(true));
    this.log.addEventListener('scroll', () => {
      if (this.atBottom()) this.jump.hidden = true;
    });
    this.input.addEventListener('input', () => this.resizeInput());
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
      if (event.key === 'Tab' && this.panel.getAttribute('aria-modal') === 'true') this.trapFocus(event);
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

  on(event: WidgetEvent, listener: Listener): void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(listener);
  }

  off(event: WidgetEvent, listener: Listener): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** To Kefu.on listeners and as a `kefu:<event>` DOM event on the <kefu-chat> element (it bubbles out of the page's view of it). */
  private emit(event: WidgetEvent, detail: unknown = {}): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(detail);
      } catch (error) {
        console.error('Kefu widget: a listener failed', error);
      }
    }
    this.host.dispatchEvent(new CustomEvent(`kefu:${event}`, { detail, bubbles: true, composed: true }));
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  open(focus = true): void {
    const wasOpen = this.isOpen;
    this.panel.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.setUnread(0);
    sessionStorage.setItem(`${this.options.storageKey}:open`, '1');
    // Full screen on a phone: a real modal dialog, the page behind neither reachable by Tab nor scrolling.
    const modal = matchMedia(PHONE_LAYOUT).matches;
    this.panel.setAttribute('aria-modal', String(modal));
    if (modal && !this.scrollLock) {
      this.scrollLock = { overflow: document.documentElement.style.overflow };
      document.documentElement.style.setProperty('overflow', 'hidden');
    }
    if (!this.historyLoaded) void this.loadHistory();
    if (focus) this.input.focus();
    if (!wasOpen) this.emit('open');
  }

  close(): void {
    const wasOpen = this.isOpen;
    // Waiting at the end of the conversation when the visitor comes back.
    const card = wasOpen && !this.busy ? this.ratingCard() : undefined;
    if (card) this.log.append(card);
    this.panel.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.panel.setAttribute('aria-modal', 'false');
    this.setUnread(this.unread);
    if (this.scrollLock) {
      document.documentElement.style.setProperty('overflow', this.scrollLock.overflow);
      this.scrollLock = undefined;
    }
    sessionStorage.removeItem(`${this.options.storageKey}:open`);
    this.launcher.focus();
    if (wasOpen) this.emit('close');
  }

  /** Kefu.ask(text): as if the visitor typed it (the panel may stay closed: the answer then counts as unread). */
  ask(question: string): Promise<void> {
    return this.send(question.trim().slice(0, this.maxChars));
  }

  setProductLine(productLine: string | undefined): void {
    this.options.productLine = productLine || undefined;
  }

  /** The launcher's count of answers that arrived while the panel was closed, and its label for screen readers. */
  private setUnread(count: number): void {
    this.unread = count;
    this.unreadBadge.hidden = count === 0;
    this.unreadBadge.textContent = count ? String(count) : '';
    this.launcher.setAttribute('aria-label', this.isOpen ? this.text.closeChat : `${this.text.open}${count ? this.text.unread(count) : ''}`);
  }

  /**
   * "How was this conversation?" with 1–5 stars, at the end of the log: offered when the visitor closes the panel
   * (or starts over) after at least one answer, once per conversation.
   */
  private ratingCard(): HTMLElement | undefined {
    if (this.rated.has(this.sessionId) || !this.log.querySelector('.msg.bot[data-state]:not([data-state="error"])') || this.log.querySelector('.rating')) return undefined;
    const session = this.sessionId;
    const card = element('div', { class: 'rating', role: 'group', 'aria-label': this.text.rateConversation });
    card.append(element('div', {}, this.text.rateConversation));
    const stars = element('div', { class: 'stars' });
    for (let n = 1; n <= 5; n++) {
      const star = element('button', { type: 'button', 'aria-label': this.text.stars(n), title: this.text.stars(n) }, '★');
      star.addEventListener('click', () => {
        this.rated.add(session);
        card.replaceChildren(element('div', { class: 'notice', role: 'status' }, this.text.rated));
        void this.options.api.rate(session, n).catch(() => undefined);
        this.emit('rating', { stars: n });
      });
      stars.append(star);
    }
    card.append(stars);
    return card;
  }

  private trapFocus(event: KeyboardEvent): void {
    const focusable = [...this.panel.querySelectorAll<HTMLElement>('button, textarea, a[href], summary, [tabindex="0"]')].filter((node) => !(node as HTMLButtonElement).disabled && node.getClientRects().length > 0);
    if (!focusable.length) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    const active = this.root.activeElement;
    if (event.shiftKey && (active === first || !this.panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !this.panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  /** Grows with the text up to its CSS max-height; near the limit a counter says how much is left, at it that it is full. */
  private resizeInput(): void {
    const input = this.input;
    input.style.setProperty('height', 'auto');
    input.style.setProperty('height', `${Math.max(42, input.scrollHeight + 2)}px`);
    const used = input.value.length;
    const near = used >= this.maxChars * 0.9;
    this.counter.hidden = !near;
    this.counter.toggleAttribute('data-full', used >= this.maxChars);
    this.counter.textContent = used >= this.maxChars ? this.text.full(this.maxChars) : near ? this.text.remaining(used, this.maxChars) : '';
  }

  private loadSessionId(): string {
    const stored = localStorage.getItem(this.options.storageKey);
    if (stored && /^[A-Za-z0-9_-]{8,128}$/.test(stored)) return stored;
    const id = newId();
    localStorage.setItem(this.options.storageKey, id);
    return id;
  }

  /**
   * The earlier turns go above anything asked since the panel opened: a visitor who sends before the history
   * arrives sees their question stay last, and a turn that is already on screen (answered live while the
   * history was on its way) is not shown twice.
   */
  private async loadHistory(): Promise<void> {
    this.historyLoaded = true;
    const session = this.sessionId;
    let turns: Turn[] = [];
    try {
      turns = await this.options.api.history(session);
    } catch {
      turns = [];
    }
    if (session !== this.sessionId) return;
    const before = this.log.firstChild;
    const earlier = turns.filter((turn) => !this.liveAnswers.has(turn.answerId));
    if (turns.length === 0 && !before) this.log.append(this.welcome());
    for (const turn of earlier) {
      this.log.insertBefore(this.userBubble(turn.question, turn.at), before);
      const bubble = this.botBubble('');
      this.log.insertBefore(bubble, before);
      const meta: Meta = { answerId: turn.answerId, productLine: turn.productLine, productLineName: turn.productLineName ?? null, sources: turn.citations };
      this.renderAnswer(bubble, turn.answer, { answerId: turn.answerId, answer: turn.answer, mode: turn.mode, refused: turn.mode === 'refusal', notice: turn.notice ?? null, citations: turn.citations, productLine: turn.productLine }, meta, turn.citations, true, turn.at);
    }
    if (!before) this.scroll(true);
  }

  /** The greeting of a new conversation, with the questions the site suggests for this page's product line. */
  private welcome(): HTMLElement {
    const bubble = this.botBubble(this.text.welcome);
    void this.options.api.suggestions(this.options.lang, this.options.productLine).then(
      (suggestions) => {
        if (!suggestions.length || !bubble.isConnected) return;
        const box = element('div', { class: 'suggestions', role: 'group', 'aria-label': this.text.suggested });
        box.append(element('div', { class: 'notice' }, this.text.suggested));
        for (const suggestion of suggestions) {
          const chip = element('button', { type: 'button', class: 'chip', dir: 'auto' }, suggestion);
          chip.addEventListener('click', () => {
            box.remove();
            void this.send(suggestion);
          });
          box.append(chip);
        }
        this.follow(() => bubble.append(box));
      },
      () => undefined,
    );
    return bubble;
  }

  /** "New conversation": asks first when there is something to lose. */
  private newConversation(): void {
    if (this.busy || this.log.querySelector('.msg.user')) {
      // Before it goes: a chance to rate it.
      const card = this.ratingCard();
      if (card) this.follow(() => this.log.append(card));
      this.confirmRow.hidden = false;
      (this.confirmRow.querySelector('.confirm-no') as HTMLElement).focus();
      return;
    }
    void this.startOver();
  }

  /** Discards the conversation: a running answer is cancelled (its stream and the model call behind it). */
  private async startOver(): Promise<void> {
    this.confirmRow.hidden = true;
    this.current?.abort();
    this.current = undefined;
    this.busy = false;
    this.sendButton.disabled = false;
    const old = this.sessionId;
    this.sessionId = newId();
    localStorage.setItem(this.options.storageKey, this.sessionId);
    this.historyLoaded = true;
    this.liveAnswers.clear();
    this.jump.hidden = true;
    this.log.replaceChildren(this.welcome());
    this.input.focus();
    await this.options.api.forget(old).catch(() => undefined);
  }

  private async send(question = this.input.value.trim(), reuse?: HTMLElement): Promise<void> {
    if (!question || this.busy) return;
    this.busy = true;
    this.sendButton.disabled = true;
    const controller = new AbortController();
    this.current = controller;
    if (!reuse) {
      this.input.value = '';
      this.resizeInput();
      // Once the visitor asks, the suggestions have done their job.
      for (const box of this.log.querySelectorAll('.suggestions')) box.remove();
      this.log.append(this.userBubble(question));
    }
    const bubble = reuse ?? this.botBubble('');
    bubble.removeAttribute('data-state');
    bubble.removeAttribute('role');
    const typing = element('span', { class: 'typing' });
    const dots = element('span', { class: 'dots', 'aria-hidden': 'true' });
    dots.append(element('i'), element('i'), element('i'));
    typing.append(dots, this.text.thinking);
    this.fill(bubble, typing);
    bubble.setAttribute('aria-busy', 'true');
    if (!reuse) this.log.append(bubble);
    this.scroll(true);

    let meta: Meta | null = null;
    let streamed = '';
    let frame = 0;
    // The badge goes in as soon as the product line is known, above the text, so nothing shifts at the end.
    const content = element('div', { class: 'content' });
    try {
      await this.options.api.ask(
        { question, sessionId: this.sessionId, lang: this.options.lang, productLine: this.options.productLine },
        {
          meta: (data) => {
            meta = data;
            this.follow(() => this.fill(bubble, ...this.badge(data), typing));
          },
          token: (text) => {
            streamed += text;
            // Re-render at most once per frame: tokens can arrive faster than the screen refreshes.
            if (!frame)
              frame = requestAnimationFrame(() => {
                frame = 0;
                this.follow(() => {
                  // Markers render as they arrive (plain superscripts; they link once the answer is complete).
                  // Numbered by first use, as the finished answer will be (that order only grows as text arrives).
                  const order = [...new Set([...streamed.matchAll(/\[(\d{1,2})\]/g)].map((match) => Number(match[1])))];
                  content.replaceChildren(renderMarkdown(streamed, { citation: (n) => element('sup', { class: 'cite' }, `[${order.indexOf(n) + 1}]`) }));
                  if (content.parentNode !== bubble) this.fill(bubble, ...(meta ? this.badge(meta) : []), content);
                });
              });
          },
          done: (done) => {
            if (frame) cancelAnimationFrame(frame);
            frame = 0;
            this.liveAnswers.add(done.answerId);
            this.follow(() => this.renderAnswer(bubble, done.answer, done, meta, meta?.sources ?? done.citations, true));
            if (!this.isOpen) this.setUnread(this.unread + 1);
            this.emit(done.refused ? 'refusal' : 'answer', { question, ...done });
            if (done.refused) this.emit('handoff', { reason: 'refusal', question, answerId: done.answerId });
          },
        },
        controller.signal,
      );
    } catch (error) {
      if (frame) cancelAnimationFrame(frame);
      // Cancelled by "new conversation": the bubble is gone with the conversation.
      if (controller.signal.aborted) return;
      this.renderError(bubble, error, question);
    } finally {
      bubble.removeAttribute('aria-busy');
      if (this.current === controller) {
        this.current = undefined;
        this.busy = false;
        this.sendButton.disabled = false;
      }
    }
  }

  private badge(meta: Meta): HTMLElement[] {
    return meta.productLineName && meta.productLine !== 'unknown' ? [element('span', { class: 'badge' }, `${this.text.productLine}: ${meta.productLineName}`)] : [];
  }

  private renderAnswer(bubble: HTMLElement, answer: string, done: Done, meta: Meta | null, sources: Source[], withFeedback: boolean, at?: string): void {
    this.fill(bubble);
    const cited = new Set(done.citations.map((source) => source.n));
    // Shown numbered 1, 2, 3 in the order the answer uses them, whatever the sources' numbers in the prompt were.
    const order: number[] = [];
    for (const match of answer.matchAll(/\[(\d{1,2})\]/g)) {
      const n = Number(match[1]);
      if (cited.has(n) && !order.includes(n)) order.push(n);
    }
    for (const source of done.citations) if (!order.includes(source.n)) order.push(source.n);
    const shownNumber = new Map(order.map((n, index) => [n, index + 1]));
    const listId = (n: number) => `kefu-src-${done.answerId}-${n}`;
    if (done.refused) {
      bubble.dataset.state = 'refusal';
      bubble.append(element('div', { class: 'refusal-title' }, this.text.refusalTitle));
    } else {
      bubble.dataset.state = done.mode;
      if (meta) bubble.append(...this.badge(meta));
    }
    const suggestions = done.mode === 'suggest' ? (done.suggestions ?? []) : [];
    if (suggestions.length) {
      // "Did you mean": the service's lead line, each suggestion a button that asks it, then the contact line.
      const lines = answer.split('\n');
      bubble.append(renderMarkdown(lines[0], {}));
      const box = element('div', { class: 'did-you-mean', role: 'group', 'aria-label': lines[0] });
      for (const suggestion of suggestions) {
        const chip = element('button', { type: 'button', class: 'chip', dir: 'auto' }, suggestion.text);
        chip.addEventListener('click', () => void this.send(suggestion.text));
        box.append(chip);
      }
      // After the numbered suggestions: the contact line, and any request for details the question lacks.
      bubble.append(box, renderMarkdown(lines.slice(1 + suggestions.length).join('\n'), { contacts: true }));
    } else {
      bubble.append(
        renderMarkdown(answer, {
          // The human contact of a refusal is a link a tap can call or write to.
          contacts: done.refused || done.mode === 'clarify' || done.mode === 'suggest',
          citation: (n) => {
            if (!cited.has(n)) return null;
            const shown = shownNumber.get(n)!;
            const link = element('a', { class: 'cite', href: `#${listId(n)}`, 'aria-label': `${this.text.sources} ${shown}` }, `[${shown}]`);
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
    }
    if (done.notice) bubble.append(element('div', { class: 'notice' }, done.notice));
    if (done.contentLabel?.text) bubble.append(element('div', { class: 'ai-label', 'data-kind': done.contentLabel.kind }, done.contentLabel.text));
    const shown = order.map((n) => sources.find((source) => source.n === n) ?? done.citations.find((source) => source.n === n)).filter((source): source is Source => Boolean(source));
    const images = done.refused ? null : sourceImages(shown);
    if (images) bubble.append(images);
    if (shown.length) {
      const block = element('div', { class: 'sources' });
      block.append(element('h3', {}, this.text.sources));
      const list = element('ol');
      for (const source of shown) {
        const item = element('li', { id: listId(source.n), value: String(shownNumber.get(source.n)) });
        const details = element('details');
        // Title and section, never the internal file path.
        const summary = element('summary', {}, [source.title, source.heading].filter(Boolean).join(' — '));
        // An agent-assist key's answer: a source customers never see is marked, so the agent does not pass it on unread.
        if (source.internal) summary.prepend(element('span', { class: 'internal' }, this.text.internal), ' ');
        details.append(summary);
        if (source.snippet) details.append(element('div', { class: 'snippet' }, source.snippet));
        const url = source.url ? safeUrl(source.url) : null;
        if (url) details.append(element('a', { class: 'page', href: url, target: '_blank', rel: 'noopener noreferrer' }, `${this.text.openPage} ↗`));
        item.append(details);
        list.append(item);
      }
      block.append(list);
      bubble.append(block);
    }
    if (withFeedback && !done.refused && done.mode !== 'suggest') bubble.append(this.feedbackControls(done.answerId));
    // Beside suggestions too: none of them may be the customer's question.
    if (done.refused || done.mode === 'suggest') bubble.append(this.handoffOffer(done.answerId, bubble));
    bubble.append(timestamp(at, this.options.lang));
    for (const link of bubble.querySelectorAll<HTMLAnchorElement>('a[href^="tel:"], a[href^="mailto:"]')) {
      link.addEventListener('click', () => this.emit('handoff', { reason: 'contact', channel: link.protocol === 'tel:' ? 'phone' : 'email', answerId: done.answerId }));
    }
  }

  /** A refusal offers a person: a short form (name, e-mail, the question, consent) posted to /v1/handoff. */
  private handoffOffer(answerId: string, bubble: HTMLElement): HTMLElement {
    const box = element('div', { class: 'handoff' });
    const button = element('button', { type: 'button', class: 'handoff-open' }, this.text.contactPerson);
    box.append(button);
    button.addEventListener('click', () => {
      const question = bubble.previousElementSibling?.classList.contains('user') ? (bubble.previousElementSibling.childNodes[1]?.textContent ?? '') : '';
      const form = element('form', { class: 'handoff-form', 'aria-label': this.text.handoffTitle, novalidate: '' });
      const field = (label: string, control: HTMLInputElement | HTMLTextAreaElement) => {
        const wrapper = element('label');
        wrapper.append(element('span', {}, label), control);
        return wrapper;
      };
      const name = element('input', { name: 'name', autocomplete: 'name', required: '', maxlength: '100' });
      const email = element('input', { name: 'email', type: 'email', autocomplete: 'email', required: '', maxlength: '254' });
      const text = element('textarea', { name: 'question', required: '', maxlength: '4000', rows: '3', dir: 'auto' });
      text.value = question;
      const consent = element('input', { type: 'checkbox', name: 'consent', required: '' });
      const consentLabel = element('label', { class: 'consent' });
      consentLabel.append(consent, element('span', {}, this.text.consent));
      const status = element('div', { class: 'notice', role: 'status' });
      const submit = element('button', { type: 'submit' }, this.text.handoffSend);
      form.append(element('strong', {}, this.text.handoffTitle), field(this.text.name, name), field(this.text.email, email), field(this.text.yourQuestion, text), consentLabel, submit, status);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        if (!name.value.trim() || !email.checkValidity() || !email.value.trim() || !text.value.trim() || !consent.checked) {
          status.textContent = this.text.required;
          return;
        }
        submit.disabled = true;
        status.textContent = '';
        void this.options.api
          .handoff({ name: name.value.trim(), email: email.value.trim(), question: text.value.trim(), consent: true, sessionId: this.sessionId, answerId, lang: this.options.lang, productLine: this.options.productLine })
          .then(
            ({ id }) => {
              box.replaceChildren(element('div', { class: 'notice', role: 'status' }, this.text.handoffDone));
              this.emit('handoff', { reason: 'form', id, answerId });
            },
            () => {
              submit.disabled = false;
              status.textContent = this.text.handoffFailed;
            },
          );
      });
      box.replaceChildren(form);
      name.focus();
    });
    return box;
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

  private userBubble(text: string, at?: string): HTMLElement {
    // dir="auto": an Arabic or Hebrew question keeps its own direction inside a left-to-right widget.
    const bubble = element('div', { class: 'msg user', dir: 'auto' });
    bubble.append(element('span', { class: 'sr-only' }, `${this.text.you}: `), text, timestamp(at, this.options.lang));
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

  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 32;
  }

  /**
   * Changes the log and follows it down only if the reader was at the bottom: one who scrolled up to reread
   * stays where they are, with a "new message" button to come back down.
   */
  private follow(change: () => void): void {
    const stick = this.atBottom();
    change();
    if (stick) this.scroll(true);
    else this.jump.hidden = false;
  }

  private scroll(force = false): void {
    if (!force && !this.atBottom()) return;
    this.log.scrollTop = this.log.scrollHeight;
    this.jump.hidden = true;
  }
}

/** Constructable stylesheets pass a strict CSP (`style-src 'self'`); older browsers get a <style> with the page's nonce. */
function applyStyles(root: ShadowRoot, nonce?: string): void {
  if ('adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    root.adoptedStyleSheets = [sheet];
    return;
  }
  const style = document.createElement('style');
  if (nonce) style.nonce = nonce;
  style.textContent = STYLES;
  root.prepend(style);
}

function timestamp(at: string | undefined, lang: UiLang): HTMLElement {
  const date = at ? new Date(at) : new Date();
  const time = element('time', { datetime: date.toISOString() }, date.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : lang, { hour: '2-digit', minute: '2-digit' }));
  return time;
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
