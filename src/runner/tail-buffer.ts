/**
 * Keeps the last `limit` characters written to it, for classifying how an attempt ended. Pieces
 * are kept as they come and only joined when asked, so a stream of many lines costs no copying.
 */
export class TailBuffer {
  private pieces: string[] = [];
  /** Pieces before this index are outside the window (dropped lazily, so dropping is O(1)). */
  private first = 0;
  private length = 0;
  constructor(private readonly limit = 64 * 1024) {}

  push(piece: string): void {
    if (piece === '') return;
    this.pieces.push(piece);
    this.length += piece.length;
    // Drop whole pieces from the front once they are surely outside the window.
    for (let oldest = this.pieces[this.first]; oldest !== undefined && this.first < this.pieces.length - 1 && this.length - oldest.length >= this.limit; oldest = this.pieces[this.first]) {
      this.length -= oldest.length;
      this.first += 1;
    }
    if (this.first >= 1024 && this.first * 2 >= this.pieces.length) {
      this.pieces = this.pieces.slice(this.first);
      this.first = 0;
    }
  }

  /** A line without its line end: kept as two pieces rather than joined. */
  pushLine(line: string): void {
    this.push(line);
    this.push('\n');
  }

  toString(): string {
    const text = this.pieces.slice(this.first).join('');
    return text.length > this.limit ? text.slice(-this.limit) : text;
  }
}
