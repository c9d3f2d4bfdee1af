import * as http from 'http';
import * as https from 'https';

export interface ApiResponse {
  status: number;
  body: string;
}

export interface ApiTarget {
  /** http(s) base URL, or undefined when a unix socket is used */
  baseUrl?: URL;
  socketPath?: string;
}

/**
 * Parses CODITECT_API_URL: `http://host:port[/prefix]`, `https://...`, or `unix:/path/to/api.sock`.
 */
export function parseApiUrl(value: string | undefined): ApiTarget | undefined {
  if (!value) return undefined;
  if (value.startsWith('unix:')) {
    const socketPath = value.slice('unix:'.length);
    return socketPath ? { socketPath } : undefined;
  }
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return { baseUrl: url };
  } catch {
    return undefined;
  }
}

/** A minimal JSON HTTP client (node builtins only) with a timeout. */
export function apiRequest(
  target: ApiTarget,
  method: string,
  apiPath: string,
  token: string | undefined,
  body?: unknown,
  timeoutMs = 10000,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    let options: http.RequestOptions;
    let mod: typeof http | typeof https = http;
    if (target.socketPath) {
      options = { socketPath: target.socketPath, path: apiPath, method, headers: { ...headers, host: 'coditect-api' } };
    } else {
      const base = target.baseUrl!;
      const prefix = base.pathname.replace(/\/+$/, '');
      options = {
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port || undefined,
        path: prefix + apiPath,
        method,
        headers,
      };
      if (base.protocol === 'https:') mod = https;
    }
    const req = mod.request(options, res => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 4 * 1024 * 1024) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
