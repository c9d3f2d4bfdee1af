import { toApiError, type ChatStreamEvent, type CompareRequest } from '@coditect/contract';
import { api, sessionAuth } from '../api/api';
import { transportHeaders } from '../api/session-auth';

async function post(body: CompareRequest, token: string | undefined, signal: AbortSignal): Promise<Response> {
  return fetch('/api/v5/llm/compare', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...transportHeaders, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
}

/**
 * `POST /llm/compare` as a stream of its events (Server-Sent Events, each tagged with its
 * model). The typed client reads JSON only, so this one reads the stream itself; an expired
 * access token is refreshed once, like the client does.
 */
export async function* compareStream(body: CompareRequest, signal: AbortSignal): AsyncGenerator<ChatStreamEvent> {
  let token = sessionAuth.getAccessToken() ?? (await api.refresh());
  let res = await post(body, token, signal);
  if (res.status === 401) {
    token = await api.refresh();
    res = await post(body, token, signal);
  }
  if (!res.ok || !res.body) throw await toApiError(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (data) yield JSON.parse(data) as ChatStreamEvent;
    }
  }
}
