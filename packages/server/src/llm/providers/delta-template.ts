/**
 * Reads the text of a stream chunk without parsing its envelope.
 *
 * A streamed completion is mostly chunks that differ only in a few characters
 * of text: `{"id":"…","model":"…","choices":[{"index":0,"delta":{"content":"␣Hi"},…}]}`.
 * `JSON.parse` of the ~200-byte envelope costs 1–3 µs a token — at thousands
 * of tokens a second, most of the gateway's CPU. A template learns the
 * envelope from one fully parsed chunk (text before and after the string
 * value) and then recognises chunks that are byte-for-byte that envelope
 * around another string, which is exact: same prefix, a valid JSON string
 * body, same suffix parses to the same object with another text. Anything
 * else (finish, usage, tool calls, errors, per-chunk varying fields) returns
 * undefined and is parsed in full by the caller.
 */
export class DeltaTemplate {
  private prefix: string | undefined;
  private suffix = '';
  private attempts = 0;

  /**
   * @param probe says whether a parsed chunk has `marker` as its text at the
   *   place the adapter reads it from (and is otherwise a plain text delta).
   */
  constructor(private readonly probe: (parsed: any, marker: string) => boolean) {}

  /** The chunk's text if it is the learned envelope around a string; undefined otherwise. */
  match(data: string): string | undefined {
    const prefix = this.prefix;
    if (prefix === undefined || !data.startsWith(prefix)) return undefined;
    const end = data.length - this.suffix.length;
    if (end < prefix.length || !data.endsWith(this.suffix)) return undefined;
    const body = data.slice(prefix.length, end);
    if (body.indexOf('"') < 0 && body.indexOf('\\') < 0) return body;
    try {
      const value: unknown = JSON.parse(`"${body}"`);
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Learns the envelope of a fully parsed plain text delta whose text is
   * `text` (called for plain deltas the template did not match). Gives up
   * after a few tries: an upstream whose envelope changes per chunk (OpenAI's
   * `obfuscation` padding) or that escapes text its own way is simply parsed.
   */
  learn(data: string, text: string): void {
    if (this.attempts >= 4 || !text) return;
    this.attempts++;
    const literal = JSON.stringify(text);
    const at = data.indexOf(literal);
    if (at >= 0 && data.indexOf(literal, at + 1) < 0) {
      const prefix = data.slice(0, at + 1);
      const suffix = data.slice(at + literal.length - 1);
      try {
        if (this.probe(JSON.parse(`${prefix}\\u0000${suffix}`), '\u0000')) {
          // Flat copies, so later comparisons do not walk the chunk they were cut from.
          this.prefix = flat(prefix);
          this.suffix = flat(suffix);
          return;
        }
      } catch { /* not an envelope after all */ }
    }
    this.prefix = undefined;
  }
}

const flat = (s: string): string => (s.length ? Buffer.from(s, 'utf8').toString('utf8') : s);
