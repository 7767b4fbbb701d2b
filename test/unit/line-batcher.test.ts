import { describe, expect, it } from 'vitest';
import { batchBytes, LineBatcher, type LineBatch } from '../../src/runner/line-batcher.js';

/** A batch's lines decoded at once: a line joined across chunks is only valid until the next push. */
const text = (batch: LineBatch): string[] => batch.lines.map((line) => line.toString('utf8'));

/** Feeds the chunks and collects every line and byte the batcher hands on. */
function feed(chunks: ReadonlyArray<string | Buffer>, maxLineBytes?: number) {
  const batcher = new LineBatcher(maxLineBytes);
  const lines: string[][] = [];
  const batches: LineBatch[] = chunks.map((chunk) => {
    const batch = batcher.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    lines.push(text(batch));
    return batch;
  });
  batches.push(batcher.end());
  lines.push(text(batches.at(-1) as LineBatch));
  return {
    lines: lines.flat(),
    linesPerBatch: lines,
    bytes: Buffer.concat(batches.flatMap((batch) => batchBytes(batch))).toString('utf8'),
    oversized: batches.flatMap((batch) => batch.oversized),
    batches,
  };
}

describe('LineBatcher', () => {
  it('hands on every complete line of a chunk, and its bytes without a copy', () => {
    const chunk = Buffer.from('{"a":1}\n{"b":2}\n');
    const batch = new LineBatcher().push(chunk);
    expect(text(batch)).toEqual(['{"a":1}', '{"b":2}']);
    expect(batch.lineBytes).toHaveLength(1);
    expect(batch.lineBytes[0]?.buffer).toBe(chunk.buffer);
    expect(batch.lines.every((line) => line.buffer === chunk.buffer)).toBe(true);
  });

  it('joins a line split across chunks, and holds nothing back once it ends', () => {
    const { lines, bytes, linesPerBatch } = feed(['{"type":"sys', 'tem","x":', '1}\n{"y"', ':2}\n']);
    expect(lines).toEqual(['{"type":"system","x":1}', '{"y":2}']);
    expect(bytes).toBe('{"type":"system","x":1}\n{"y":2}\n');
    expect(linesPerBatch[0]).toEqual([]);
    expect(linesPerBatch[2]).toEqual(['{"type":"system","x":1}']);
  });

  it('hands on the bytes of a joined line as the chunks they came in, and joins it for reading without holding more', () => {
    const chunks = ['{"a":"', 'x'.repeat(100), '"}\n', '{"b":"', 'y'.repeat(50), '"}\n'].map((part) => Buffer.from(part));
    const batcher = new LineBatcher();
    const read: string[] = [];
    for (const chunk of chunks) {
      const batch = batcher.push(chunk);
      read.push(...text(batch));
      if (batch.lines.length > 0) expect(batch.lineBytes).toHaveLength(3);
    }
    expect(read).toEqual([`{"a":"${'x'.repeat(100)}"}`, `{"b":"${'y'.repeat(50)}"}`]);
  });

  it('never cuts a UTF-8 character in two, wherever the chunk boundary falls', () => {
    const text = 'ok — ✓ 日本語 🙂\nnext ✓\n';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const result = feed([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(result.lines).toEqual(['ok — ✓ 日本語 🙂', 'next ✓']);
      expect(result.bytes).toBe(text);
    }
  });

  it('joins a line longer than the reused buffer in one of its own, and reads the next ones', () => {
    const long = `{"a":"${'z'.repeat(3 * 1024 * 1024)}"}`;
    const { lines } = feed([long.slice(0, 1000), long.slice(1000, 2_000_000), `${long.slice(2_000_000)}\n{"b":`, '1}\n'], 16 * 1024 * 1024);
    expect(lines).toEqual([long, '{"b":1}']);
  });

  it('ends a line at CRLF, also when the CR and the LF arrive apart, and writes LF', () => {
    const { lines, bytes } = feed(['{"a":1}\r\n{"b":', '2}\r', '\n{"c":3}\n']);
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(bytes).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
  });

  it('keeps a lone CR inside its line', () => {
    expect(feed(['a\rb\n']).lines).toEqual(['a\rb']);
  });

  it('hands on the last line when the stream ends without a newline, and ends it in the bytes', () => {
    const { lines, bytes } = feed(['{"a":1}\n{"result"', ':true}']);
    expect(lines).toEqual(['{"a":1}', '{"result":true}']);
    expect(bytes).toBe('{"a":1}\n{"result":true}\n');
  });

  it('keeps empty lines, and has nothing to add at the end of a stream that ended with a newline', () => {
    const { lines, batches } = feed(['a\n\nb\n']);
    expect(lines).toEqual(['a', '', 'b']);
    expect(batches.at(-1)).toMatchObject({ lines: [], lineBytes: [], oversized: [] });
  });

  it('passes a line that is too long through to the bytes without holding it, and reads the next one', () => {
    const max = 1000;
    const huge = 'x'.repeat(10 * max);
    const chunks: string[] = ['{"before":1}\n'];
    for (let at = 0; at < huge.length; at += 300) chunks.push(huge.slice(at, at + 300));
    chunks.push('\n{"after":2}\n');
    const batcher = new LineBatcher(max);
    let heldAtMost = 0;
    const read: string[] = [];
    const batches = chunks.map((chunk) => {
      const batch = batcher.push(Buffer.from(chunk));
      read.push(...text(batch));
      // What the batcher still holds is bounded: whatever it does not hand on stays under the limit.
      const handedOn = batchBytes(batch).reduce((sum, part) => sum + part.length, 0);
      heldAtMost = Math.max(heldAtMost, chunk.length - handedOn);
      return batch;
    });
    batches.push(batcher.end());
    expect(read).toEqual(['{"before":1}', '{"after":2}']);
    expect(batches.flatMap((batch) => batch.oversized)).toEqual([huge.length]);
    expect(Buffer.concat(batches.flatMap((batch) => batchBytes(batch))).toString()).toBe(`{"before":1}\n${huge}\n{"after":2}\n`);
    expect(heldAtMost).toBeLessThanOrEqual(max + 300);
  });

  it('reports a too-long last line that never ended', () => {
    const { lines, bytes, oversized } = feed(['{"a":1}\n', 'y'.repeat(50), 'y'.repeat(50)], 60);
    expect(lines).toEqual(['{"a":1}']);
    expect(oversized).toEqual([100]);
    expect(bytes).toBe(`{"a":1}\n${'y'.repeat(100)}\n`);
  });

  it('reads a line just under the limit', () => {
    const line = 'z'.repeat(99);
    expect(feed([line.slice(0, 50), `${line.slice(50)}\n`], 100).lines).toEqual([line]);
  });
});
