import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fileTreeSchema } from '../../src/checkpoint/file-tree.js';
import { parseStatus } from '../../src/checkpoint/git-status.js';
import { decodeObject, encodeObject, joined, objectId } from '../../src/checkpoint/object-codec.js';
import { linkStaysInside } from '../../src/checkpoint/tree-writer.js';

describe('objects', () => {
  it('compresses what compresses, stores the rest raw, and names both by the sha256 of the stored bytes', async () => {
    const text = Buffer.from('loss 0.25 at step 100\n'.repeat(10_000));
    const noise = randomBytes(100_000);
    const [packed, raw] = [await encodeObject(text), await encodeObject(noise)];
    expect(packed.size).toBeLessThan(text.length / 10);
    expect(raw.size).toBe(noise.length + 1);
    for (const [encoded, original] of [
      [packed, text],
      [raw, noise],
    ] as const) {
      expect(encoded.id).toBe(objectId(joined(encoded)));
      expect((await decodeObject(joined(encoded), original.length)).equals(original)).toBe(true);
    }
    // The same content always gives the same object: a store keeps it once.
    expect((await encodeObject(text)).id).toBe(packed.id);
  });

  it('refuses to decode past a bound, and unknown encodings', async () => {
    const bomb = await encodeObject(Buffer.alloc(8 * 1024 * 1024));
    await expect(decodeObject(joined(bomb), 1024 * 1024)).rejects.toThrow(/does not decode/);
    await expect(decodeObject(Buffer.from([7, 1, 2]), 10)).rejects.toThrow(/unknown object encoding 7/);
  });
});

describe('listings', () => {
  it('refuses a file whose segments do not add up to its size', () => {
    const id = 'a'.repeat(64);
    const parsed = fileTreeSchema.safeParse({ version: 1, deleted: [], entries: [{ kind: 'file', path: 'x', mode: 0o644, size: 10, segments: [[id, 0, 4]] }] });
    expect(parsed.success).toBe(false);
  });
});

describe('parseStatus', () => {
  it('reads changed, unmerged and untracked paths, spaces and submodules included', () => {
    const records = [
      '1 .M N... 100644 100644 100644 aaaa bbbb src/a file.txt',
      '1 D. N... 100644 000000 000000 aaaa 0000 gone.txt',
      '1 .M S.M. 160000 160000 160000 aaaa aaaa vendor/lib',
      'u UU N... 100644 100644 100644 100644 aaaa bbbb cccc conflict.txt',
      '? new dir/file.txt',
      '? nested-repo/',
      '',
    ].join('\0');
    expect(parseStatus(records)).toEqual([
      { path: 'src/a file.txt', kind: 'changed', submodule: false },
      { path: 'gone.txt', kind: 'changed', submodule: false },
      { path: 'vendor/lib', kind: 'changed', submodule: true },
      { path: 'conflict.txt', kind: 'unmerged', submodule: false },
      { path: 'new dir/file.txt', kind: 'untracked', submodule: false },
      { path: 'nested-repo/', kind: 'untracked', submodule: true },
    ]);
  });
});

describe('linkStaysInside', () => {
  it.each([
    ['results/latest', 'weights.bin', true],
    ['results/sub/up', '../other', true],
    ['results/up', '../../outside', false],
    ['link', '/etc/passwd', false],
    ['a/b', '../../x', false],
  ])('%s -> %s: %s', (rel, target, inside) => {
    expect(linkStaysInside(rel, target)).toBe(inside);
  });
});
