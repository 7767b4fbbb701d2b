import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync, linkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePaxRecords, TarEntryReader, TarFormatError, type TarEntry } from '../../src/checkpoint/tar-entries.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tar-entries-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Feeds the bytes in small, uneven chunks so header and data boundaries fall mid-chunk. */
function read(bytes: Buffer, chunk = 97): TarEntry[] {
  const reader = new TarEntryReader();
  for (let offset = 0; offset < bytes.length; offset += chunk) reader.write(bytes.subarray(offset, offset + chunk));
  return reader.end();
}

/** A ustar header block with a correct checksum. */
function header(fields: { name: string; type?: string; size?: number; linkname?: string; mode?: number; magic?: string; prefix?: string }): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(`${(fields.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${(fields.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block.write(fields.type ?? '0', 156, 'latin1');
  block.write(fields.linkname ?? '', 157, 100, 'utf8');
  block.write(fields.magic ?? 'ustar\u000000', 257, 'latin1');
  block.write(fields.prefix ?? '', 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

const data = (content: string): Buffer => {
  const bytes = Buffer.from(content);
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
};
const END = Buffer.alloc(1024);

function pax(records: Record<string, string>): Buffer {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const rest = ` ${key}=${value}\n`;
      let length = rest.length + 1;
      while (`${length}${rest}`.length !== length) length += 1;
      return `${length}${rest}`;
    })
    .join('');
  return Buffer.concat([header({ name: 'PaxHeaders/x', type: 'x', size: Buffer.byteLength(body) }), data(body)]);
}

describe('TarEntryReader on archives made by the system tar', () => {
  const src = path.join(tmp, 'src');
  mkdirSync(path.join(src, 'dir', 'sub'), { recursive: true });
  const longName = `${'d'.repeat(60)}/${'n'.repeat(120)}.txt`;
  mkdirSync(path.join(src, path.dirname(longName)), { recursive: true });
  writeFileSync(path.join(src, longName), 'long');
  writeFileSync(path.join(src, 'dir', 'file.bin'), Buffer.alloc(1500, 7));
  writeFileSync(path.join(src, 'dir', 'ünï code -> arrow.txt'), 'x');
  symlinkSync(`../${'t'.repeat(150)}`, path.join(src, 'dir', 'sub', 'long-link'));
  symlinkSync('file.bin', path.join(src, 'dir', 'link'));
  linkSync(path.join(src, 'dir', 'file.bin'), path.join(src, 'dir', 'hard'));

  it.each(['gnu', 'posix', 'ustar'])('lists every entry of a %s archive with types, sizes and link targets', (format) => {
    // ustar has no room for names and link targets over 100 bytes; the other formats extend it.
    const long = format === 'ustar' ? [] : ['dir/sub/long-link', longName];
    const names = ['dir', 'dir/file.bin', 'dir/hard', 'dir/link', 'dir/sub', 'dir/ünï code -> arrow.txt', ...long];
    const archive = path.join(tmp, `${format}.tar.gz`);
    execFileSync('tar', ['-czf', archive, `--format=${format}`, '-C', src, '--no-recursion', ...names]);
    const entries = read(gunzipSync(readFileSync(archive)));
    const byPath = new Map(entries.map((entry) => [entry.path.replace(/\/$/, ''), entry]));
    expect([...byPath.keys()]).toEqual(names);
    expect(byPath.get('dir')).toMatchObject({ type: 'directory', size: 0 });
    expect(byPath.get('dir/file.bin')).toMatchObject({ type: 'file', size: 1500, linkTarget: '' });
    expect(byPath.get('dir/hard')).toMatchObject({ type: 'hardlink', linkTarget: 'dir/file.bin' });
    expect(byPath.get('dir/link')).toMatchObject({ type: 'symlink', linkTarget: 'file.bin' });
    if (format !== 'ustar') {
      expect(byPath.get('dir/sub/long-link')).toMatchObject({ type: 'symlink', linkTarget: `../${'t'.repeat(150)}` });
      expect(byPath.get(longName)).toMatchObject({ type: 'file', size: 4 });
    }
  });
});

describe('TarEntryReader on crafted headers', () => {
  it('keeps every name a header offers: ustar prefix, GNU long name, pax path', () => {
    const entries = read(
      Buffer.concat([
        header({ name: 'name.txt', prefix: 'some/prefix', size: 1 }),
        data('a'),
        header({ name: '././@LongLink', type: 'L', size: 14 }),
        data('gnu/long/name\0'),
        header({ name: 'truncated' }),
        pax({ path: '../escape', linkpath: '/etc' }),
        header({ name: 'innocent', type: '2', linkname: 'target' }),
        END,
      ]),
    );
    expect(entries.map((entry) => entry.names)).toEqual([['some/prefix/name.txt', 'name.txt'], ['gnu/long/name', 'truncated'], ['../escape', 'innocent']]);
    expect(entries[2]).toMatchObject({ path: '../escape', linkTarget: '/etc', linkTargets: ['/etc', 'target'] });
  });

  it('uses the pax size to find the next header', () => {
    const entries = read(Buffer.concat([pax({ size: '600' }), header({ name: 'big', size: 1 }), data('x'.repeat(600)), header({ name: 'next' }), END]));
    expect(entries.map((entry) => [entry.path, entry.size])).toEqual([
      ['big', 600],
      ['next', 0],
    ]);
  });

  it('reads GNU base-256 sizes', () => {
    const block = header({ name: 'huge-header' });
    const withBinarySize = Buffer.from(block);
    withBinarySize.fill(0, 124, 136);
    withBinarySize[124] = 0x80;
    withBinarySize.writeUIntBE(1024, 130, 6);
    withBinarySize.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of withBinarySize) sum += byte;
    withBinarySize.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(read(Buffer.concat([withBinarySize, Buffer.alloc(1024), END]))[0]).toMatchObject({ size: 1024 });
  });

  it.each([
    ['a bad checksum', Buffer.concat([header({ name: 'a' }).fill(0x41, 0, 1), END]), /bad header checksum/],
    ['a missing end marker', Buffer.concat([header({ name: 'a', size: 1 }), data('a')]), /truncated/],
    ['data after the end marker', Buffer.concat([END, header({ name: 'hidden' })]), /after the end-of-archive marker/],
    ['a lone zero block', Buffer.concat([Buffer.alloc(512), header({ name: 'hidden' }), END]), /lone zero block/],
    ['a global pax header', Buffer.concat([header({ name: 'g', type: 'g', size: 0 }), END]), /global pax/],
    ['a symlink with data', Buffer.concat([header({ name: 'l', type: '2', size: 5, linkname: 'x' }), data('hello'), END]), /has data/],
    ['a malformed size', Buffer.concat([header({ name: 'a' }).fill(0x39, 124, 126), END]), /bad header checksum|malformed number/],
  ])('refuses %s', (_label, bytes, message) => {
    expect(() => read(bytes)).toThrow(TarFormatError);
    expect(() => read(bytes)).toThrow(message);
  });

  it('parses pax records and refuses malformed ones', () => {
    expect(parsePaxRecords(Buffer.from('16 path=a/b c=d\n10 size=9\n'))).toEqual([
      ['path', 'a/b c=d'],
      ['size', '9'],
    ]);
    expect(() => parsePaxRecords(Buffer.from('99 path=x\n'))).toThrow(TarFormatError);
    expect(() => parsePaxRecords(Buffer.from('9 pathx\n'))).toThrow(TarFormatError);
  });
});
