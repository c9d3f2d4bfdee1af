/** Message type a workspace origin's refusal page posts to the embedding app. */
export const REFUSAL_MESSAGE_TYPE = 'coditect:workspace-refused';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page a workspace origin shows instead of the IDE when it refuses a page load (no or expired
 * cookie, workspace stopped): the reason, and a message to the app's frame so it can re-open
 * the workspace. It carries only the error code and public message, so any parent may read it.
 */
export function refusalPage(code: string, message: string): string {
  const data = JSON.stringify({ type: REFUSAL_MESSAGE_TYPE, code, message }).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Workspace unavailable</title></head>
<body style="font-family:system-ui,sans-serif;padding:2rem"><h1 style="font-size:1.1rem">This workspace did not open</h1>
<p>${escapeHtml(message)}</p><p><code>${escapeHtml(code)}</code></p>
<script>if (window.parent !== window) window.parent.postMessage(${data}, '*');</script></body></html>`;
}
