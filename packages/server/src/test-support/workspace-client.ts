import http from 'node:http';

/** An answer from a workspace origin. */
export interface WorkspaceAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** `name=value` of each Set-Cookie. */
  cookies: string[];
}

/**
 * A request to a workspace origin (`http://{id}.ws.localhost:PORT/…`) from Node, which does not
 * resolve `*.localhost` itself: it connects to 127.0.0.1 on that port and sends the Host header.
 */
export function workspaceRequest(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<WorkspaceAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: Number(u.port || 80), method: opts.method ?? 'GET',
      path: u.pathname + u.search, headers: { host: u.host, ...opts.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body,
        cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Redeems the ticket URL `open` answered; resolves the workspace cookie (`coditect_ws=…`) and the full answer. */
export async function redeemTicket(url: string): Promise<{ cookie: string; answer: WorkspaceAnswer }> {
  const answer = await workspaceRequest(url);
  const cookie = answer.cookies.find((c) => c.startsWith('coditect_ws=')) ?? '';
  return { cookie, answer };
}
