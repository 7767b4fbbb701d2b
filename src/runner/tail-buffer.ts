/**
 * Keeps the last `limit` characters written to it, for classifying how an attempt ended. Chunks
 * are kept as they come and only joined when asked, so a stream of many lines costs no copying.
 */
export class TailBuffer {
  private chunks: string[] = [];
  private length = 0;
  constructor(private readonly limit = 64 * 1024) {}

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    // Drop whole chunks from the front once they are surely outside the window.
    while (this.chunks.length > 1 && this.length - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.length -= this.chunks.shift()?.length ?? 0;
    }
  }

  toString(): string {
    const text = this.chunks.join('');
    return text.length > this.limit ? text.slice(-this.limit) : text;
  }
}
