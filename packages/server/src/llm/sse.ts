import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';

const RESOLVED = Promise.resolve();

/** One event in SSE framing; `data` must hold no newline (JSON text never does). */
export const sseEvent = (event: string | null, data: string): string =>
  (event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);

/** Stands in for the text while an encoder is built; unguessable, so no model name or id can contain it. */
const MARKER = `\u0000${randomUUID()}\u0000`;

/**
 * Encodes text-delta events without re-serialising the event object per
 * token: `build` is called once with a marker, and each delta becomes
 * `prefix + JSON.stringify(text) + suffix` — byte-for-byte what
 * `sseEvent(event, JSON.stringify(build(text)))` would give.
 */
export function deltaEncoder(event: string | null, build: (text: string) => object): (text: string) => string {
  const marker = MARKER;
  const json = JSON.stringify(build(marker));
  const quoted = JSON.stringify(marker);
  const at = json.indexOf(quoted);
  if (at < 0 || json.indexOf(quoted, at + 1) >= 0) throw new Error('deltaEncoder: build must place the text exactly once');
  const prefix = `${event ? `event: ${event}\n` : ''}data: ${json.slice(0, at)}`;
  const suffix = `${json.slice(at + quoted.length)}\n\n`;
  return (text) => prefix + JSON.stringify(text) + suffix;
}

/**
 * A server-sent-events response over a hijacked Fastify reply. Owns the
 * abort signal that fires when the client goes away.
 */
export class SseStream {
  private readonly controller = new AbortController();
  private opened = false;

  constructor(private readonly reply: FastifyReply) {
    const res = reply.raw;
    // 'close' after a finished response is normal; before it, the client left.
    res.on('close', () => { if (!res.writableFinished) this.controller.abort(); });
  }

  /** Fires when the client disconnects: pass it to the upstream call. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /**
   * Commits to a 200 event stream; from here on errors can only travel as
   * events. The headers go out with the first write (callers write at once),
   * saving a packet before the first token.
   */
  open(headers: Record<string, string> = {}): void {
    if (this.opened) return;
    this.opened = true;
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(this.reply.request.id),
      ...headers,
    });
  }

  /** Writes one event; waits when the socket is congested so a slow client cannot balloon memory. */
  send(event: string | null, data: unknown): Promise<void> {
    return this.write(sseEvent(event, typeof data === 'string' ? data : JSON.stringify(data)));
  }

  /**
   * Writes already-encoded events (many at once: one `write` per upstream
   * batch, not per token); waits for `drain` when the socket is congested.
   */
  write(text: string): Promise<void> {
    if (this.signal.aborted || text.length === 0) return RESOLVED;
    if (this.reply.raw.write(text)) return RESOLVED;
    return new Promise<void>((resolve) => {
      const done = () => { this.reply.raw.off('drain', done); this.signal.removeEventListener('abort', done); resolve(); };
      this.reply.raw.once('drain', done);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  end(): void {
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }
}
