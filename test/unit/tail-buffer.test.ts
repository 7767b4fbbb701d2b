import { describe, expect, it } from 'vitest';
import { TailBuffer } from '../../src/runner/tail-buffer.js';

describe('TailBuffer', () => {
  it('keeps everything until the limit, then only the last bytes, across wraps', () => {
    const tail = new TailBuffer(8);
    tail.push('abc');
    expect(tail.toString()).toBe('abc');
    tail.pushBytes([Buffer.from('defgh')]);
    expect(tail.toString()).toBe('abcdefgh');
    tail.pushBytes([Buffer.from('ij'), Buffer.from('klm')]);
    expect(tail.toString()).toBe('fghijklm');
  });

  it('copies only the end of pieces longer than the window', () => {
    const tail = new TailBuffer(6);
    tail.push('start');
    tail.pushBytes([Buffer.from('0123456789'), Buffer.from('ab'), Buffer.from('cdefghijklmnop')]);
    expect(tail.toString()).toBe('klmnop');
  });

  it('keeps stdout and stderr in the order they came', () => {
    const tail = new TailBuffer(64);
    tail.pushBytes([Buffer.from('{"type":"result"}\n')]);
    tail.push('Error: boom\n');
    expect(tail.toString()).toBe('{"type":"result"}\nError: boom\n');
  });

  it('drops a character cut in two at the start of the window', () => {
    const tail = new TailBuffer(7);
    tail.push('✓✓✓'); // 9 bytes: the window starts inside the first ✓
    expect(tail.toString()).toBe('✓✓');
  });
});
