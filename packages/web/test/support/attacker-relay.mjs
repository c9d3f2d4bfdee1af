// The ATTACKER's relay: stands in for packages/ide/sandbox/ide-relay.mjs inside a real workspace
// sandbox (a process that took over the IDE's port would serve the same). It dials the server's
// tunnel like the real relay, then answers every request itself: a page that attacks the user
// (see workspace-origin.browser.test.ts), with every header a workspace must not be able to set,
// and a WebSocket handshake for any upgrade (so a proxied upgrade would visibly succeed).
// It first tries to redirect the proxy by replacing /run/coditect, and reports what it got.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

const tunnelPath = process.env.CODITECT_IDE_SOCKET;
const tamper = {};
for (const [name, fn] of Object.entries({
  unlink: () => fs.unlinkSync(tunnelPath),
  rename: () => fs.renameSync(tunnelPath, '/run/coditect/moved.sock'),
  symlink: () => fs.symlinkSync('/tmp/evil.sock', '/run/coditect/evil.sock'),
  mkdir: () => fs.mkdirSync('/run/coditect/evil'),
})) {
  try { fn(); tamper[name] = 'DONE'; } catch (e) { tamper[name] = e.code; }
}
// The test reads these results from the workspace (host side).
try { fs.writeFileSync('/workspace/tamper.json', JSON.stringify(tamper)); } catch { /* read-only? then the test fails on it */ }

function config() {
  try { return JSON.parse(fs.readFileSync('/workspace/attack.json', 'utf8')); } catch { return {}; }
}

const page = (cfg) => `<!doctype html><html><head><meta charset="utf-8"><title>pwned workspace</title></head><body>
<h1>attacker page</h1><script>
const cfg = ${JSON.stringify(cfg)};
const results = {};
const attempt = async (name, fn) => { try { results[name] = await fn(); } catch (e) { results[name] = 'ERR:' + (e && e.name); } };
window.__attack = (async () => {
  await attempt('parentLocalStorage', () => JSON.stringify(Object.keys(window.parent.localStorage)));
  await attempt('topDocumentCookie', () => window.top.document.cookie);
  await attempt('apiMe', async () => { const r = await fetch(cfg.app + '/api/v5/users/me', { credentials: 'include' }); return r.status + ':' + (await r.text()).slice(0, 200); });
  await attempt('apiMeNoCors', async () => { const r = await fetch(cfg.app + '/api/v5/users/me', { credentials: 'include', mode: 'no-cors' }); return 'opaque:' + r.type + ':' + r.status; });
  await attempt('refreshCors', async () => { const r = await fetch(cfg.app + '/api/v5/auth/refresh', { method: 'POST', credentials: 'include',
    headers: { 'content-type': 'application/json', 'x-coditect-refresh-transport': 'cookie' }, body: '{}' }); return r.status + ':' + (await r.text()).slice(0, 200); });
  await attempt('refreshNoCors', async () => { const r = await fetch(cfg.app + '/api/v5/auth/refresh', { method: 'POST', credentials: 'include', mode: 'no-cors',
    headers: { 'content-type': 'text/plain' }, body: '{}' }); return 'opaque:' + r.type; });
  await attempt('otherIdeFetch', async () => { const r = await fetch(cfg.other + '/', { credentials: 'include' }); return r.status + ':' + (await r.text()).slice(0, 100); });
  await attempt('otherIdeWebSocket', () => new Promise((resolve) => {
    const ws = new WebSocket(cfg.other.replace('http', 'ws') + '/socket.io/?EIO=4&transport=websocket');
    ws.onopen = () => { resolve('OPENED'); ws.close(); };
    ws.onerror = () => resolve('error');
    setTimeout(() => resolve('timeout'), 5000);
  }));
  await attempt('ownWebSocket', () => new Promise((resolve) => {
    const ws = new WebSocket(location.origin.replace('http', 'ws') + '/socket.io/?EIO=4&transport=websocket');
    ws.onopen = () => { resolve('OPENED'); ws.close(); };
    ws.onerror = () => resolve('error');
    setTimeout(() => resolve('timeout'), 5000);
  }));
  await attempt('documentCookie', () => document.cookie);
  return results;
})();
</script></body></html>`;

function answer(first, conn) {
  const head = first.toString('latin1');
  const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1];
  if (/^GET [^\r\n]* HTTP\/1\.1/.test(head) && key) {
    const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    conn.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n`
      + 'set-cookie: ws_evil=1; Domain=localhost; Path=/\r\n\r\n');
    return; // keep it open
  }
  const body = page(config());
  conn.end([
    'HTTP/1.1 200 OK',
    'content-type: text/html; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    'set-cookie: coditect_refresh=evil; Path=/api/v5/auth',
    'set-cookie: app_evil=1; Domain=localhost; Path=/',
    'set-cookie: theia-connection-token=attacker; Domain=localhost; Path=/',
    'service-worker-allowed: /',
    'clear-site-data: "*"',
    'strict-transport-security: max-age=31536000; includeSubDomains',
    'access-control-allow-origin: *',
    'access-control-allow-credentials: true',
    '',
    body,
  ].join('\r\n'));
}

function dial() {
  const conn = net.connect(tunnelPath);
  conn.once('data', (first) => { dial(); answer(first, conn); });
  conn.on('error', () => {});
  conn.once('close', () => { if (!conn.bytesRead) setTimeout(dial, 200); });
}
for (let i = 0; i < 4; i++) dial();
process.stderr.write('[attacker-relay] ready\n');
