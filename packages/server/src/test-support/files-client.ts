import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** What fetch accepts as a body (the DOM lib's BodyInit is not in this project's types). */
export type Body = NonNullable<RequestInit['body']>;

/** Raw (non-JSON) calls of the files API for tests: bodies and headers as sent on the wire. */
export class FilesClient {
  constructor(readonly baseUrl: string, readonly token: string) {}

  url(sessionId: string, sub: string, query: Record<string, string> = {}): string {
    const qs = new URLSearchParams(query).toString();
    return `${this.baseUrl}/sessions/${sessionId}/files${sub}${qs ? `?${qs}` : ''}`;
  }

  async put(sessionId: string, p: string, body: Body, headers: Record<string, string> = {}, query: Record<string, string> = {}) {
    const res = await fetch(this.url(sessionId, '/content', { path: p, ...query }), {
      method: 'PUT', body, headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/octet-stream', ...headers },
      duplex: 'half',
    } as RequestInit);
    return { status: res.status, headers: res.headers, body: (await res.json().catch(() => undefined)) as any };
  }

  async get(sessionId: string, p: string, headers: Record<string, string> = {}) {
    const res = await fetch(this.url(sessionId, '/content', { path: p }), { headers: { authorization: `Bearer ${this.token}`, ...headers } });
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, buf, json: () => JSON.parse(buf.toString('utf8')) };
  }

  async raw(method: string, sessionId: string, sub: string, query: Record<string, string>, init: RequestInit = {}) {
    const res = await fetch(this.url(sessionId, sub, query), {
      method, ...init, headers: { authorization: `Bearer ${this.token}`, ...(init.headers as Record<string, string> ?? {}) },
    });
    const buf = Buffer.from(await res.arrayBuffer());
    let json: any;
    try { json = JSON.parse(buf.toString('utf8')); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, buf, json };
  }

  async upload(sessionId: string, dir: string, files: Record<string, Buffer | string>) {
    const form = new FormData();
    for (const [name, content] of Object.entries(files)) form.append('file', new Blob([content]), name);
    return this.raw('POST', sessionId, '/upload', { path: dir }, { body: form });
  }
}

/** Every entry below `dir` as `path → kind:mode:sha256|target` (symlinks not followed): equal maps mean identical trees. */
export function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[key] = `link:${fs.readlinkSync(full)}`;
      else if (st.isDirectory()) { out[key] = `dir:${mode}`; walk(full, key); }
      else out[key] = `file:${mode}:${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}
