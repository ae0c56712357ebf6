/**
 * Kefu chat widget. Add to any page:
 *   <script src="https://kefu.example.com/widget.js" data-api-key="…" data-lang="zh|en|auto"
 *           data-product-line="A" data-title="…" data-color="#0b6e4f" async></script>
 * The API base is the script's own origin unless data-api-base says otherwise.
 */
import { KefuApi } from './api.js';
import { pickLanguage } from './i18n.js';
import { ChatWidget } from './ui.js';

function mount(script: HTMLScriptElement | null) {
  if (document.querySelector('kefu-chat')) return;
  const data = script?.dataset ?? {};
  const base = (data.apiBase || (script?.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/$/, '');
  const host = document.createElement('kefu-chat');
  document.body.append(host);
  const apiKey = data.apiKey || undefined;
  (window as unknown as { kefuWidget: ChatWidget }).kefuWidget = new ChatWidget(host, {
    api: new KefuApi(base, apiKey),
    lang: pickLanguage(data.lang, navigator.languages ?? [navigator.language]),
    title: data.title,
    color: data.color || '#1f6feb',
    productLine: data.productLine || undefined,
    storageKey: `kefu:session:${base}:${apiKey ?? 'open'}`,
  });
}

const script = document.currentScript as HTMLScriptElement | null;
if (document.body) mount(script);
else document.addEventListener('DOMContentLoaded', () => mount(script), { once: true });
