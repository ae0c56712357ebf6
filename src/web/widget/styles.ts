/**
 * Styles live inside the shadow root: the host page's CSS cannot reach in, and these rules cannot leak out.
 * The host element gets its position inline with !important (see ui.ts), which beats even the page's
 * !important rules; the `.kefu` wrapper sets its own font, colours and `color-scheme`, so nothing is inherited
 * from the page (a dark host page no longer turns the input's text dark-on-dark). Themes: `light` (default),
 * `dark`, `auto` (the visitor's system setting); every pair of colours meets WCAG AA contrast. The theme colour
 * is used for backgrounds with white text and is darkened if it is too light (contrastSafe in ui.ts).
 * Applied as a constructable stylesheet, so a page whose CSP forbids inline styles still shows the widget.
 */
const LIGHT = `--bg: #fff; --fg: #1f2328; --muted: #57606a; --log-bg: #f6f8fa; --border: #d0d7de; --input-border: #8c959f; --link: #0a58ca; --badge-bg: #e7ecf0; --code-bg: #eef1f4; --refusal-bg: #fff8e6; --refusal-border: #bf8700; --refusal-fg: #7d4e00; --error-bg: #fff5f5; --error-border: #cf222e; --error-fg: #a40e26; --flash: #fff3b0; --pressed-bg: #ddf4ff; --pressed-border: #0969da; --snippet: #424a53; color-scheme: light;`;
const DARK = `--bg: #1c2128; --fg: #e6edf3; --muted: #9da7b3; --log-bg: #161b22; --border: #444c56; --input-border: #768390; --link: #79b8ff; --badge-bg: #2d333b; --code-bg: #2d333b; --refusal-bg: #2e2515; --refusal-border: #c69026; --refusal-fg: #f0c674; --error-bg: #2d1a1d; --error-border: #f47067; --error-fg: #ff938a; --flash: #4d4211; --pressed-bg: #143d66; --pressed-border: #539bf5; --snippet: #c5d1de; color-scheme: dark;`;

export const STYLES = `
.kefu { all: initial; display: block; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; text-align: left; letter-spacing: normal; ${LIGHT} color: var(--fg); }
.kefu[data-theme="dark"] { ${DARK} }
@media (prefers-color-scheme: dark) { .kefu[data-theme="auto"] { ${DARK} } }
*, *::before, *::after { box-sizing: border-box; }
button, textarea, input { font: inherit; color: inherit; }
.launcher { position: relative; width: 60px; height: 60px; border-radius: 50%; border: 0; cursor: pointer; background: var(--kefu-color); color: #fff; box-shadow: 0 4px 16px rgba(0,0,0,.25); display: grid; place-items: center; }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.unread { position: absolute; top: -2px; right: -2px; min-width: 22px; height: 22px; border-radius: 11px; background: #cf222e; color: #fff; font-size: 12px; font-weight: 700; display: grid; place-items: center; padding: 0 6px; border: 2px solid #fff; }
.unread[hidden] { display: none; }
.launcher:focus-visible, button:focus-visible, textarea:focus-visible, summary:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
.panel { position: absolute; right: 0; bottom: 76px; width: 380px; height: min(620px, calc(100vh - 120px)); background: var(--bg); color: var(--fg); border-radius: 14px; box-shadow: 0 12px 40px rgba(0,0,0,.28); display: flex; flex-direction: column; overflow: hidden; }
.panel[dir="rtl"] { text-align: right; }
.panel[hidden] { display: none; }
header { background: var(--kefu-color); color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
header h2 { font-size: 16px; font-weight: 600; margin: 0; flex: 1; color: #fff; }
header button { background: transparent; border: 1px solid rgba(255,255,255,.7); color: #fff; border-radius: 8px; padding: 4px 10px; cursor: pointer; font-size: 13px; min-height: 44px; }
header button.close { min-width: 44px; font-size: 16px; }
.confirm { flex-basis: 100%; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; font-size: 13px; }
.confirm[hidden] { display: none; }
.log-wrap { flex: 1; position: relative; min-height: 0; display: flex; }
.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 12px; background: var(--log-bg); }
.jump { position: absolute; left: 50%; transform: translateX(-50%); bottom: 10px; border: 1px solid var(--border); background: var(--bg); color: var(--link); border-radius: 16px; padding: 6px 14px; cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.2); font-size: 13px; min-height: 36px; }
.jump[hidden] { display: none; }
.msg { max-width: 88%; padding: 9px 12px; border-radius: 12px; word-wrap: break-word; overflow-wrap: anywhere; }
.msg p { margin: 0 0 6px; } .msg p:last-child { margin-bottom: 0; }
.msg ul, .msg ol { margin: 4px 0 6px; padding-left: 20px; }
.msg code { background: var(--code-bg); padding: 0 4px; border-radius: 4px; font-family: ui-monospace, monospace; font-size: 13px; }
.msg time { display: block; font-size: 11px; color: var(--muted); margin-top: 4px; }
.user time { color: #fff; text-align: right; }
.user { align-self: flex-end; background: var(--kefu-color); color: #fff; white-space: pre-wrap; }
.bot { align-self: flex-start; background: var(--bg); border: 1px solid var(--border); }
.bot a { color: var(--link); }
.bot[data-state="refusal"] { border-color: var(--refusal-border); background: var(--refusal-bg); }
.bot[data-state="error"] { border-color: var(--error-border); background: var(--error-bg); }
.badge { display: inline-block; font-size: 12px; color: var(--fg); background: var(--badge-bg); border-radius: 10px; padding: 1px 8px; margin-bottom: 6px; min-height: 20px; }
.notice { font-size: 12px; color: var(--muted); margin-top: 6px; }
.ai-label { font-size: 11px; color: var(--muted); margin-top: 6px; }
.refusal-title { font-weight: 600; color: var(--refusal-fg); margin-bottom: 4px; }
.cite { font-size: 11px; vertical-align: super; line-height: 0; margin: 0 1px; color: var(--link); }
.sources { margin-top: 8px; border-top: 1px solid var(--border); padding-top: 6px; font-size: 13px; }
.sources h3 { font-size: 12px; margin: 0 0 4px; color: var(--muted); font-weight: 600; }
.sources ol { margin: 0; padding-left: 18px; }
.sources details { margin: 2px 0; }
.sources summary { cursor: pointer; color: var(--link); }
.sources .snippet { color: var(--snippet); white-space: pre-wrap; margin: 4px 0; font-size: 12.5px; }
.sources .internal { font-size: 11px; font-weight: 600; padding: 0 5px; border-radius: 4px; border: 1px solid var(--refusal-border); color: var(--refusal-fg); background: var(--refusal-bg); }
.sources .page { font-size: 12.5px; color: var(--link); }
.sources li:target, .sources li.flash { background: var(--flash); }
.source-images { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.source-images figure { margin: 0; max-width: 100%; }
.source-images img { display: block; max-width: 100%; max-height: 240px; width: auto; height: auto; border: 1px solid var(--border); border-radius: 6px; }
.source-images figcaption { font-size: 12px; color: var(--muted); margin-top: 2px; }
.feedback { display: flex; gap: 6px; margin-top: 8px; align-items: center; flex-wrap: wrap; }
.feedback button, .confirm button { border: 1px solid var(--border); background: var(--bg); border-radius: 8px; padding: 4px 8px; cursor: pointer; font-size: 13px; color: var(--muted); display: inline-flex; align-items: center; min-height: 32px; }
.confirm button { color: var(--fg); }
.feedback button svg { width: 16px; height: 16px; fill: currentColor; }
.feedback button[aria-pressed="true"] { background: var(--pressed-bg); border-color: var(--pressed-border); }
.feedback textarea { width: 100%; min-height: 48px; border: 1px solid var(--input-border); border-radius: 8px; padding: 6px; font-size: 16px; background: var(--bg); color: var(--fg); }
.error-actions button { margin-top: 6px; border: 1px solid var(--error-border); background: var(--bg); color: var(--error-fg); border-radius: 8px; padding: 3px 10px; cursor: pointer; }
.typing { color: var(--muted); display: inline-flex; gap: 6px; align-items: center; }
.dots { display: inline-flex; gap: 3px; }
.dots i { width: 6px; height: 6px; border-radius: 50%; background: var(--muted); display: inline-block; }
@media (prefers-reduced-motion: no-preference) {
  .panel { transition: opacity .15s; }
  .dots i { animation: kefu-blink 1.2s infinite ease-in-out; }
  .dots i:nth-child(2) { animation-delay: .2s; } .dots i:nth-child(3) { animation-delay: .4s; }
}
@keyframes kefu-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid var(--border); background: var(--bg); align-items: flex-end; flex-wrap: wrap; }
/* 16 px: smaller text makes iOS Safari zoom the page when the field gets focus. */
textarea.input { flex: 1; resize: none; border: 1px solid var(--input-border); border-radius: 10px; padding: 8px 10px; min-height: 42px; height: 42px; max-height: 140px; font-size: 16px; line-height: 1.4; background: var(--bg); color: var(--fg); overflow-y: auto; }
textarea.input::placeholder { color: var(--muted); opacity: 1; }
form button { background: var(--kefu-color); color: #fff; border: 0; border-radius: 10px; padding: 0 16px; cursor: pointer; font-weight: 600; min-height: 42px; }
form button:disabled { opacity: .6; cursor: default; }
.counter { flex-basis: 100%; font-size: 12px; color: var(--muted); text-align: right; margin: -4px 2px 0; }
.counter[data-full] { color: var(--error-fg); font-weight: 600; }
.counter[hidden] { display: none; }
.suggestions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.suggestions .notice { flex-basis: 100%; margin: 0; }
.did-you-mean { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; margin: 6px 0; }
.chip { border: 1px solid var(--kefu-color); color: var(--link); background: var(--bg); border-radius: 16px; padding: 5px 12px; cursor: pointer; font-size: 13px; text-align: left; min-height: 32px; }
.rating { align-self: stretch; text-align: center; font-size: 13px; color: var(--fg); border: 1px dashed var(--border); border-radius: 12px; padding: 8px; background: var(--bg); }
.stars { display: flex; justify-content: center; gap: 4px; margin-top: 4px; }
.stars button { border: 0; background: transparent; color: #9a6700; font-size: 24px; line-height: 1; cursor: pointer; min-width: 36px; min-height: 36px; }
.stars button:hover, .stars button:focus-visible { color: #bf8700; }
.handoff { margin-top: 8px; }
.handoff-open { border: 1px solid var(--refusal-border); background: var(--bg); color: var(--fg); border-radius: 8px; padding: 6px 10px; cursor: pointer; font-size: 13px; min-height: 36px; }
.handoff-form { display: flex; flex-direction: column; align-items: stretch; flex-wrap: nowrap; gap: 6px; padding: 0; border: 0; background: transparent; margin-top: 4px; }
.handoff-form label { display: flex; flex-direction: column; font-size: 13px; gap: 2px; }
.handoff-form label.consent { flex-direction: row; align-items: flex-start; gap: 6px; }
.handoff-form input:not([type="checkbox"]), .handoff-form textarea { border: 1px solid var(--input-border); border-radius: 8px; padding: 6px 8px; font-size: 16px; background: var(--bg); color: var(--fg); width: 100%; }
.handoff-form input[type="checkbox"] { width: 18px; height: 18px; margin-top: 2px; flex: none; }
.handoff-form button[type="submit"] { align-self: flex-start; min-height: 36px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 480px), (max-height: 480px) {
  .panel { position: fixed; inset: 0; width: 100vw; height: 100dvh; border-radius: 0; bottom: 0; right: 0; }
  .msg { max-width: 94%; }
}
/* A phone on its side (667×375): a compact header and form leave the conversation most of the height. */
@media (max-height: 480px) {
  header { padding: 4px 10px; flex-wrap: nowrap; } header h2 { font-size: 14px; }
  header button { min-height: 36px; padding: 2px 8px; } header button.close { min-width: 44px; min-height: 36px; }
  form { padding: 6px 10px; } textarea.input { min-height: 38px; height: 38px; max-height: 76px; }
  .log { padding: 8px 12px; gap: 8px; }
}
`;
