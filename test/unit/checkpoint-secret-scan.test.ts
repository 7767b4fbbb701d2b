import { describe, expect, it } from 'vitest';
import { containsSecret, redactSecrets, SecretScanner, secretNeedles } from '../../src/checkpoint/secret-scan.js';
import { BatchReader } from '../../src/checkpoint/workspace-snapshot.js';
import { fingerprintOf, statusPaths } from '../../src/checkpoint/fingerprint.js';

const SECRET = 'sk-ant-0123456789';

describe('secretNeedles', () => {
  it('skips values too short to be secrets and adds the JSON-escaped form', () => {
    const needles = secretNeedles(['', 'abc', SECRET, 'pa"ss\\word', SECRET]).map(String);
    expect(needles).toEqual([SECRET, 'pa"ss\\word', 'pa\\"ss\\\\word']);
  });
});

describe('SecretScanner', () => {
  it.each([1, 2, 5, 7, 100])('finds a needle split across chunks of %i bytes', (size) => {
    const text = Buffer.from(`${'x'.repeat(37)}${SECRET}${'y'.repeat(11)}`);
    const scanner = new SecretScanner(secretNeedles([SECRET]));
    for (let offset = 0; offset < text.length; offset += size) scanner.update(text.subarray(offset, offset + size));
    expect(scanner.found).toBe(true);
  });

  it('finds nothing in clean bytes, and nothing without needles', () => {
    const clean = new SecretScanner(secretNeedles([SECRET]));
    clean.update(Buffer.from('sk-ant-012345678'));
    clean.update(Buffer.from('X'));
    expect(clean.found).toBe(false);
    const none = new SecretScanner([]);
    none.update(Buffer.from(SECRET));
    expect(none.found).toBe(false);
  });

  it('finds a needle whose start lies in bytes carried over as clean', () => {
    for (let cut = 1; cut < SECRET.length; cut++) {
      const scanner = new SecretScanner(secretNeedles([SECRET]));
      scanner.carry(Buffer.from(`${'x'.repeat(50)}${SECRET.slice(0, cut)}`));
      expect(scanner.found).toBe(false);
      scanner.update(Buffer.from(`${SECRET.slice(cut)}zz`));
      expect(scanner.found).toBe(true);
    }
    // Short pieces on both sides of the seam.
    const scanner = new SecretScanner(secretNeedles([SECRET]));
    scanner.update(Buffer.from('sk-'));
    scanner.carry(Buffer.from('ant-'));
    scanner.update(Buffer.from('0123456789'));
    expect(scanner.found).toBe(true);
  });

  it('does not report a needle carried over whole (those bytes were scanned before)', () => {
    const scanner = new SecretScanner(secretNeedles([SECRET]));
    scanner.carry(Buffer.from(`a ${SECRET} b`));
    scanner.update(Buffer.from('clean'));
    expect(scanner.found).toBe(false);
  });

  it('checks whole buffers and strings', () => {
    expect(containsSecret(`a ${SECRET} b`, secretNeedles([SECRET]))).toBe(true);
    expect(containsSecret(Buffer.from('nothing'), secretNeedles([SECRET]))).toBe(false);
  });
});

describe('redactSecrets', () => {
  it('replaces the secret in every string, keys included, and keeps the shape', () => {
    expect(redactSecrets({ a: [`401 ${SECRET}`, 3, null, { [SECRET]: true }], b: 'clean' }, [SECRET, 'x'])).toEqual({
      a: ['401 ***', 3, null, { '***': true }],
      b: 'clean',
    });
  });
});

describe('BatchReader (git cat-file --batch output)', () => {
  const object = (id: string, content: string): Buffer => Buffer.concat([Buffer.from(`${id} blob ${Buffer.byteLength(content)}\n`), Buffer.from(content), Buffer.from('\n')]);

  it.each([1, 3, 64, 4096])('reports the objects holding a needle, read in chunks of %i bytes', (size) => {
    const stream = Buffer.concat([
      object('a'.repeat(40), 'clean'),
      object('b'.repeat(40), `line\n${SECRET}\nline`),
      Buffer.from(`${'c'.repeat(40)} missing\n`),
      object('d'.repeat(40), ''),
      object('e'.repeat(40), SECRET),
    ]);
    const reader = new BatchReader(secretNeedles([SECRET]));
    for (let offset = 0; offset < stream.length; offset += size) reader.write(stream.subarray(offset, offset + size));
    expect([...reader.hits]).toEqual(['b'.repeat(40), 'e'.repeat(40)]);
  });
});

describe('fingerprint helpers', () => {
  it('lists the paths git status names, renames with both sides', () => {
    const output = [
      '1 .M N... 100644 100644 100644 abc abc src/a file.txt',
      '2 R. N... 100644 100644 100644 abc abc R100 new name.txt',
      'old name.txt',
      'u UU N... 100644 100644 100644 100644 a b c conflict.txt',
      '? untracked dir/x.txt',
      '! ignored.log',
      '',
    ].join('\0');
    expect(statusPaths(output)).toEqual(['src/a file.txt', 'new name.txt', 'old name.txt', 'conflict.txt', 'untracked dir/x.txt', 'ignored.log']);
    expect(statusPaths('')).toEqual([]);
  });

  it('folds parts so that boundaries matter', () => {
    expect(fingerprintOf(['ab', 'c'])).not.toBe(fingerprintOf(['a', 'bc']));
    expect(fingerprintOf(['a', 'b'])).toBe(fingerprintOf(['a', 'b']));
  });
});
