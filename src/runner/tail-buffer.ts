/**
 * Keeps the last `limit` bytes of what the agent printed (stdout and stderr as they came), for
 * classifying how an attempt ended. The bytes are copied into one fixed buffer: holding the lines
 * themselves would keep strings alive across young collections, which V8 answers by promoting
 * them and growing its heap with the length of the stream.
 */
export class TailBuffer {
  private readonly ring: Buffer;
  /** Where the next byte goes. */
  private end = 0;
  private wrapped = false;

  constructor(private readonly limit = 64 * 1024) {
    this.ring = Buffer.alloc(limit);
  }

  push(text: string): void {
    if (text !== '') this.pushBytes([Buffer.from(text)]);
  }

  /** Consecutive pieces of output; only their last `limit` bytes are copied. */
  pushBytes(parts: readonly Buffer[]): void {
    let skip = parts.reduce((sum, part) => sum + part.length, 0) - this.limit;
    for (const part of parts) {
      if (skip >= part.length) {
        skip -= part.length;
        continue;
      }
      this.copy(skip > 0 ? part.subarray(skip) : part);
      skip = 0;
    }
  }

  private copy(bytes: Buffer): void {
    const first = Math.min(bytes.length, this.limit - this.end);
    bytes.copy(this.ring, this.end, 0, first);
    this.end += first;
    if (first < bytes.length) {
      bytes.copy(this.ring, 0, first);
      this.end = bytes.length - first;
      this.wrapped = true;
    } else if (this.end === this.limit) {
      this.end = 0;
      this.wrapped = true;
    }
  }

  toString(): string {
    if (!this.wrapped) return this.ring.toString('utf8', 0, this.end);
    const text = Buffer.concat([this.ring.subarray(this.end), this.ring.subarray(0, this.end)]).toString('utf8');
    // The window may begin inside a character; what decodes to U+FFFD there is not the agent's.
    return text.replace(/^\uFFFD{1,3}/, '');
  }
}
