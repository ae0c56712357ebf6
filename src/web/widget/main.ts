/**
 * Kefu chat widget. Add to any page:
 *   <script src="https://kefu.example.com/widget.js" data-api-key="…" data-lang="zh|en|auto"
 *           data-product-line="A" data-title="…" data-color="#0b6e4f" data-theme="light|dark|auto" async></script>
 * The API base is the script's own origin unless data-api-base says otherwise. README "The chat widget" lists
 * every data-* option and the JavaScript API (window.Kefu).
 */
import { KefuApi } from './api.js';
import { pickLanguage } from './i18n.js';
import { ChatWidget, type WidgetEvent } from './ui.js';

/** window.Kefu: what a page can do with the widget. Calls made before it has loaded are queued (Kefu.q). */
export interface KefuGlobal {
  open(): void;
  close(): void;
  ask(text: string): Promise<void>;
  setProductLine(productLine: string | undefined): void;
  on(event: WidgetEvent, listener: (detail: unknown) => void): void;
  off(event: WidgetEvent, listener: (detail: unknown) => void): void;
}

function mount(script: HTMLScriptElement | null) {
  if (document.querySelector('kefu-chat')) return;
  const data = script?.dataset ?? {};
  const base = (data.apiBase || (script?.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/$/, '');
  const host = document.createElement('kefu-chat');
  document.body.append(host);
  const apiKey = data.apiKey || undefined;
  const theme = data.theme === 'dark' || data.theme === 'auto' ? data.theme : 'light';
  const widget = new ChatWidget(host, {
    api: new KefuApi(base, apiKey),
    lang: pickLanguage(data.lang, navigator.languages ?? [navigator.language]),
    title: data.title,
    color: data.color || '#1f6feb',
    productLine: data.productLine || undefined,
    storageKey: `kefu:session:${base}:${apiKey ?? 'open'}`,
    theme,
    nonce: data.nonce || script?.nonce || undefined,
    maxChars: Number(data.maxChars) > 0 ? Number(data.maxChars) : undefined,
  });
  const api: KefuGlobal = {
    open: () => widget.open(),
    close: () => widget.close(),
    ask: (text) => widget.ask(text),
    setProductLine: (productLine) => widget.setProductLine(productLine),
    on: (event, listener) => widget.on(event, listener),
    off: (event, listener) => widget.off(event, listener),
  };
  const global = window as unknown as { Kefu?: { q?: [keyof KefuGlobal, ...unknown[]][] } & Partial<KefuGlobal>; kefuWidget: ChatWidget };
  const queued = global.Kefu?.q ?? [];
  global.Kefu = api;
  global.kefuWidget = widget;
  for (const [method, ...args] of queued) (api[method] as (...values: unknown[]) => unknown)(...args);
}

const script = document.currentScript as HTMLScriptElement | null;
if (document.body) mount(script);
else document.addEventListener('DOMContentLoaded', () => mount(script), { once: true });
