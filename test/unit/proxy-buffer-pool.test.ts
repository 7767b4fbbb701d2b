import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/proxy/buffer-pool.js';

describe('BufferPool', () => {
  it('hands out buffers of its size and reuses what comes back', () => {
    const pool = new BufferPool(1024, 2);
    const first = pool.take();
    expect(first.length).toBe(1024);
    // A buffer of its own, not a view into Node's shared pool.
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(1024);
    pool.give(first);
    expect(pool.free).toBe(1);
    expect(pool.take()).toBe(first);
    expect(pool.free).toBe(0);
  });

  it('keeps at most `keep` free buffers', () => {
    const pool = new BufferPool(16, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const buffer of taken) pool.give(buffer);
    expect(pool.free).toBe(2);
  });

  it('never holds one buffer twice, so two reads cannot share it', () => {
    const pool = new BufferPool(16, 4);
    const buffer = pool.take();
    pool.give(buffer);
    pool.give(buffer);
    expect(pool.free).toBe(1);
    expect(pool.take()).toBe(buffer);
    expect(pool.take()).not.toBe(buffer);
  });

  it('ignores buffers of another size', () => {
    const pool = new BufferPool(16, 4);
    pool.give(Buffer.alloc(8));
    expect(pool.free).toBe(0);
  });

  it('refuses nonsense sizes', () => {
    expect(() => new BufferPool(0, 1)).toThrow(RangeError);
    expect(() => new BufferPool(16, -1)).toThrow(RangeError);
  });
});
