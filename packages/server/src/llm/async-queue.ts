/**
 * A push-to-pull bridge: callbacks push values, one consumer iterates them in
 * batches (everything pushed since its last turn). `end()` finishes the
 * iteration, `fail()` makes it throw.
 */
export class AsyncQueue<T> implements AsyncIterable<T[]> {
  private items: T[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private error: unknown;

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }
  end(): void {
    this.ended = true;
    this.wake();
  }
  fail(err: unknown): void {
    this.error = err ?? new Error('failed');
    this.ended = true;
    this.wake();
  }
  private wake() {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T[]> {
    for (;;) {
      if (this.items.length) {
        const batch = this.items;
        this.items = [];
        yield batch;
        continue;
      }
      if (this.ended) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }
}
