import type { FastifyReply } from 'fastify';

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

  /** Sends the headers; from here on errors can only travel as events. */
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
    this.reply.raw.flushHeaders();
  }

  /** Writes one event; waits when the socket is congested so a slow client cannot balloon memory. */
  async send(event: string | null, data: unknown): Promise<void> {
    if (this.signal.aborted) return;
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    const ok = this.reply.raw.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = () => { this.reply.raw.off('drain', done); this.signal.removeEventListener('abort', done); resolve(); };
        this.reply.raw.once('drain', done);
        this.signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  end(): void {
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }
}
