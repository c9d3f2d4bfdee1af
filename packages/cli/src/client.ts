import {
  API_PREFIX, endpoints, type ChatStreamEvent, type EndpointName, type RequestOf, type ResponseOf,
} from '@coditect/contract';

/** An API error as the server reports it. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

type Args<N extends EndpointName> = Partial<RequestOf<N>>;

/** A typed client over the contract's endpoint table. */
export class CoditectClient {
  constructor(readonly server: string, private readonly token?: string) {}

  private url<N extends EndpointName>(name: N, args: Args<N>): string {
    const e = endpoints[name];
    const params = (args.params ?? {}) as Record<string, string>;
    const path = e.path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));
    const query = new URLSearchParams(Object.entries((args.query ?? {}) as Record<string, unknown>)
      .filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return `${this.server.replace(/\/+$/, '')}${API_PREFIX}${path}${query.size ? `?${query}` : ''}`;
  }

  async fetch<N extends EndpointName>(name: N, args: Args<N> = {}, signal?: AbortSignal, token = this.token): Promise<Response> {
    const e = endpoints[name];
    const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (args.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url(name, args), {
        method: e.method, headers, ...(args.body !== undefined ? { body: JSON.stringify(args.body) } : {}), ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new ApiError(0, 'unreachable', `Cannot reach ${this.server}: ${(err as Error).message}`);
    }
    if (!res.ok) {
      const text = await res.text();
      let code = 'http_error';
      let message = `${res.status} ${res.statusText}`;
      try {
        const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = body.error?.code ?? code;
        message = body.error?.message ?? message;
      } catch { /* not JSON */ }
      throw new ApiError(res.status, code, message);
    }
    return res;
  }

  /** Calls a JSON endpoint and returns its typed response. */
  async call<N extends EndpointName>(name: N, args: Args<N> = {}, token?: string): Promise<ResponseOf<N>> {
    const res = await this.fetch(name, args, undefined, token);
    return (res.status === 204 ? undefined : await res.json()) as ResponseOf<N>;
  }

  /** Calls a streaming endpoint (chat, compare) and yields its events. */
  async *stream<N extends 'chat' | 'compare'>(name: N, body: RequestOf<N>['body'], signal?: AbortSignal): AsyncGenerator<ChatStreamEvent> {
    const res = await this.fetch(name, { body } as Args<N>, signal);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let idx: number;
      while ((idx = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer.slice(0, idx).split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        buffer = buffer.slice(idx + 2);
        if (data) yield JSON.parse(data) as ChatStreamEvent;
      }
    }
  }
}
