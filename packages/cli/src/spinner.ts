/** A spinner on stderr (only when it is a terminal) until the first token arrives. */
export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;

  start(label: string): this {
    if (!process.stderr.isTTY) return this;
    const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
    this.timer = setInterval(() => {
      process.stderr.write(`\r${frames[this.frame++ % frames.length]} ${label}`);
    }, 80);
    return this;
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    process.stderr.write('\r\x1b[K');
  }
}
