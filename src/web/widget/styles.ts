/**
 * Styles live inside the shadow root: the host page's CSS cannot reach in, and these rules cannot leak out.
 * The host element gets its position inline with !important (see ui.ts), which beats even the page's
 * !important rules; the `.kefu` wrapper sets its own font, so nothing is inherited from the page.
 * Colours meet WCAG AA contrast on white; the theme colour is used for backgrounds with white text, and the
 * widget darkens it if it is too light (see contrastSafe in ui.ts).
 */
export const STYLES = `
.kefu { all: initial; display: block; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1f2328; text-align: left; letter-spacing: normal; }
*, *::before, *::after { box-sizing: border-box; }
button, textarea { font: inherit; color: inherit; }
.launcher { width: 60px; height: 60px; border-radius: 50%; border: 0; cursor: pointer; background: var(--kefu-color); color: #fff; box-shadow: 0 4px 16px rgba(0,0,0,.25); display: grid; place-items: center; }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.launcher:focus-visible, button:focus-visible, textarea:focus-visible, summary:focus-visible, a:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
.panel { position: absolute; right: 0; bottom: 76px; width: 380px; height: min(620px, calc(100vh - 120px)); background: #fff; border-radius: 14px; box-shadow: 0 12px 40px rgba(0,0,0,.28); display: flex; flex-direction: column; overflow: hidden; }
.panel[hidden] { display: none; }
header { background: var(--kefu-color); color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 8px; }
header h2 { font-size: 16px; font-weight: 600; margin: 0; flex: 1; color: #fff; }
header button { background: transparent; border: 1px solid rgba(255,255,255,.7); color: #fff; border-radius: 8px; padding: 4px 10px; cursor: pointer; font-size: 13px; }
header button.close { min-width: 44px; min-height: 44px; font-size: 16px; }
.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 12px; background: #f6f8fa; }
.msg { max-width: 88%; padding: 9px 12px; border-radius: 12px; word-wrap: break-word; overflow-wrap: anywhere; }
.msg p { margin: 0 0 6px; } .msg p:last-child { margin-bottom: 0; }
.msg ul, .msg ol { margin: 4px 0 6px; padding-left: 20px; }
.msg code { background: #eef1f4; padding: 0 4px; border-radius: 4px; font-family: ui-monospace, monospace; font-size: 13px; }
.user { align-self: flex-end; background: var(--kefu-color); color: #fff; white-space: pre-wrap; }
.bot { align-self: flex-start; background: #fff; border: 1px solid #d0d7de; }
.bot a { color: #0a58ca; }
.bot[data-state="refusal"] { border-color: #bf8700; background: #fff8e6; }
.bot[data-state="error"] { border-color: #cf222e; background: #fff5f5; }
.badge { display: inline-block; font-size: 12px; color: #1f2328; background: #e7ecf0; border-radius: 10px; padding: 1px 8px; margin-bottom: 6px; }
.notice { font-size: 12px; color: #57606a; margin-top: 6px; }
.refusal-title { font-weight: 600; color: #7d4e00; margin-bottom: 4px; }
.cite { font-size: 11px; vertical-align: super; line-height: 0; margin: 0 1px; color: #0a58ca; }
.sources { margin-top: 8px; border-top: 1px solid #d8dee4; padding-top: 6px; font-size: 13px; }
.sources h3 { font-size: 12px; margin: 0 0 4px; color: #57606a; font-weight: 600; }
.sources ol { margin: 0; padding-left: 18px; }
.sources details { margin: 2px 0; }
.sources summary { cursor: pointer; color: #0a58ca; }
.sources .snippet { color: #424a53; white-space: pre-wrap; margin: 4px 0; font-size: 12.5px; }
.sources .path { color: #57606a; font-size: 11.5px; }
.sources li:target, .sources li.flash { background: #fff3b0; }
.feedback { display: flex; gap: 6px; margin-top: 8px; align-items: center; flex-wrap: wrap; }
.feedback button { border: 1px solid #d0d7de; background: #fff; border-radius: 8px; padding: 4px 8px; cursor: pointer; font-size: 13px; color: #57606a; display: inline-flex; align-items: center; }
.feedback button svg { width: 16px; height: 16px; fill: currentColor; }
.feedback button[aria-pressed="true"] { background: #ddf4ff; border-color: #0969da; }
.feedback textarea { width: 100%; min-height: 48px; border: 1px solid #8c959f; border-radius: 8px; padding: 6px; font-size: 13px; }
.error-actions button { margin-top: 6px; border: 1px solid #cf222e; background: #fff; color: #a40e26; border-radius: 8px; padding: 3px 10px; cursor: pointer; }
.typing { color: #57606a; font-style: italic; }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #d0d7de; background: #fff; }
textarea.input { flex: 1; resize: none; border: 1px solid #8c959f; border-radius: 10px; padding: 8px 10px; height: 42px; max-height: 120px; }
form button { background: var(--kefu-color); color: #fff; border: 0; border-radius: 10px; padding: 0 16px; cursor: pointer; font-weight: 600; }
form button:disabled { opacity: .6; cursor: default; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 480px) {
  .panel { position: fixed; inset: 0; width: 100vw; height: 100dvh; border-radius: 0; bottom: 0; right: 0; }
  .msg { max-width: 94%; }
}
@media (prefers-reduced-motion: no-preference) { .panel { transition: opacity .15s; } }
`;
