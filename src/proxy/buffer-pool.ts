/**
 * Read buffers for the upstream sockets, used again and again: a fresh 64 KiB buffer per socket
 * read (what Node does by default) is external memory to V8, and relaying megabytes of answers
 * that way triggered a full garbage collection every few megabytes, costing more the larger the
 * action's heap.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  // The same buffers as #free: a buffer given back twice would be handed to two reads at once.
  readonly #held = new Set<Buffer>();

  /**
   * @param size bytes per buffer (the most one socket read takes)
   * @param keep how many free buffers are kept; beyond that, returned buffers are left to the GC
   */
  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`BufferPool: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`BufferPool: keep must be an integer >= 0, got ${keep}`);
  }

  /** Free buffers on hand. */
  get free(): number {
    return this.#free.length;
  }

  take(): Buffer {
    // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared 8 KiB pool.
    const buffer = this.#free.pop();
    if (buffer === undefined) return Buffer.allocUnsafeSlow(this.size);
    this.#held.delete(buffer);
    return buffer;
  }

  /** Hands a buffer back once nothing refers to its bytes any more (its write has completed). */
  give(buffer: Buffer): void {
    if (buffer.length !== this.size || this.#free.length >= this.keep || this.#held.has(buffer)) return;
    this.#free.push(buffer);
    this.#held.add(buffer);
  }
}
