/** Keeps the last `limit` characters written to it, for classifying how an attempt ended. */
export class TailBuffer {
  private text = '';
  constructor(private readonly limit = 64 * 1024) {}

  push(chunk: string): void {
    this.text += chunk;
    // Trim in batches so a stream of small lines does not copy 64 KiB each time.
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }

  toString(): string {
    return this.text.length > this.limit ? this.text.slice(-this.limit) : this.text;
  }
}
