/**
 * Keeps the last `limit` bytes of what the agent printed (stdout and stderr as they came), for
 * classifying how an attempt ended. It holds the last pieces as they came (views of the read
 * chunks, no copy: copying every byte of a fast stream cost more than reading it) and joins them
 * only when asked; a piece longer than the window is copied down to its end, so what is held stays
 * within the window plus one read. Bytes, never the lines as strings: holding strings across young
 * collections makes V8 promote them and grow its heap with the length of the stream.
 */
export class TailBuffer {
  private parts: Buffer[] = [];
  private bytes = 0;
  /** Whether bytes before the window were dropped (the window may then start inside a character). */
  private dropped = false;

  constructor(private readonly limit = 64 * 1024) {}

  push(text: string): void {
    if (text !== '') this.pushBytes([Buffer.from(text)]);
  }

  /** Consecutive pieces of output. */
  pushBytes(parts: readonly Buffer[]): void {
    for (const part of parts) {
      if (part.length === 0) continue;
      if (part.length >= this.limit) {
        this.dropped ||= part.length > this.limit || this.bytes > 0;
        this.parts = [Buffer.from(part.subarray(part.length - this.limit))];
        this.bytes = this.limit;
        continue;
      }
      this.parts.push(part);
      this.bytes += part.length;
      let first = this.parts[0];
      while (first !== undefined && this.bytes - first.length >= this.limit) {
        this.parts.shift();
        this.bytes -= first.length;
        this.dropped = true;
        first = this.parts[0];
      }
    }
  }

  toString(): string {
    const joined = Buffer.concat(this.parts);
    if (!this.dropped && joined.length <= this.limit) return joined.toString('utf8');
    const text = joined.subarray(Math.max(0, joined.length - this.limit)).toString('utf8');
    // The window may begin inside a character; what decodes to U+FFFD there is not the agent's.
    return text.replace(/^\uFFFD{1,3}/, '');
  }
}
