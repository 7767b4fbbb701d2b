// Reads the entry headers of a (decompressed) tar stream: ustar, GNU (long names, base-256 sizes)
// and pax extended headers. Pure: bytes in, entries out. We parse the archive ourselves rather than
// the text of `tar -tv`, whose output is ambiguous for names containing " -> " or newlines, and we
// keep every name a header offers so that a name one tar implementation prefers over another
// cannot slip past the safety checks.

const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** The name tar extracts to (pax path > GNU long name > ustar prefix/name). */
  readonly path: string;
  /** Every name the headers gave for this entry; all must be safe. */
  readonly names: readonly string[];
  readonly type: TarEntryType;
  /** The raw type flag, for messages. */
  readonly typeflag: string;
  /** Link target for symlinks and hard links ('' otherwise). */
  readonly linkTarget: string;
  readonly linkTargets: readonly string[];
  readonly mode: number;
  readonly size: number;
}

export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

interface PendingMeta {
  longName?: string;
  longLink?: string;
  pax: Map<string, string>;
}

type Collect = { kind: 'L' | 'K' | 'x'; size: number; parts: Buffer[]; received: number };

/** Feed decompressed archive bytes with `write`, then call `end` for the entries. */
export class TarEntryReader {
  private readonly entries: TarEntry[] = [];
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private skip = 0;
  private collect: Collect | undefined;
  private collectPadding = 0;
  private meta: PendingMeta = { pax: new Map() };
  private zeroBlocks = 0;
  private done = false;

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.done) {
        // Past the end marker only zero padding may follow; anything else is an entry some tar
        // implementations would still read (GNU tar continues after a lone zero block).
        if (chunk.subarray(offset).some((byte) => byte !== 0)) throw new TarFormatError('data after the end-of-archive marker');
        return;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - offset);
        this.skip -= n;
        offset += n;
        continue;
      }
      if (this.collect) {
        const want = this.collect.size - this.collect.received;
        const n = Math.min(want, chunk.length - offset);
        this.collect.parts.push(Buffer.from(chunk.subarray(offset, offset + n)));
        this.collect.received += n;
        offset += n;
        if (this.collect.received === this.collect.size) {
          this.finishCollect(this.collect);
          this.collect = undefined;
          this.skip = this.collectPadding;
        }
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - offset);
      chunk.copy(this.header, this.headerFill, offset, offset + n);
      this.headerFill += n;
      offset += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.readHeader(this.header);
      }
    }
  }

  end(): TarEntry[] {
    if (!this.done) {
      // A well-formed archive ends with two zero blocks; tar writes them, truncation loses them.
      throw new TarFormatError('archive ends without the end-of-archive marker (truncated?)');
    }
    return this.entries;
  }

  private readHeader(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks >= 2) {
        if (this.meta.longName !== undefined || this.meta.longLink !== undefined || this.meta.pax.size > 0) {
          throw new TarFormatError('extended header without an entry');
        }
        this.done = true;
      }
      return;
    }
    if (this.zeroBlocks > 0) throw new TarFormatError('a lone zero block inside the archive');
    if (!checksumMatches(block)) throw new TarFormatError(`bad header checksum at entry ${this.entries.length + 1}`);

    const name = cString(block, 0, 100);
    const mode = parseNumber(block, 100, 8);
    const headerSize = parseNumber(block, 124, 12);
    const typeByte = block[156] ?? 0;
    const typeflag = typeByte === 0 ? '0' : String.fromCharCode(typeByte);
    const linkName = cString(block, 157, 100);
    const magic = block.subarray(257, 263).toString('latin1');
    const isPosixUstar = magic === 'ustar\0';
    const prefix = isPosixUstar ? cString(block, 345, 155) : '';

    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x') {
      this.startCollect(typeflag, headerSize);
      return;
    }
    if (typeflag === 'g') throw new TarFormatError('global pax headers are not supported');

    const pax = this.meta.pax;
    const names = uniq([
      pax.get('path'),
      pax.get('GNU.sparse.name'),
      this.meta.longName,
      prefix ? `${prefix}/${name}` : name,
      name,
    ]);
    const linkTargets = uniq([pax.get('linkpath'), this.meta.longLink, linkName]);
    const paxSize = pax.get('size');
    const size = paxSize !== undefined ? parseDecimal(paxSize, 'pax size') : headerSize;
    const type = entryType(typeflag);
    this.meta = { pax: new Map() };

    if (type !== 'file' && size !== 0) {
      // Links and folders carry no data in the archives we write; a size here is either another
      // tar dialect (GNU dumpdir) or an attempt to make readers disagree about where entries start.
      throw new TarFormatError(`entry '${names[0] ?? ''}' of type '${typeflag}' has data`);
    }
    this.entries.push({
      path: names[0] ?? '',
      names,
      type,
      typeflag,
      linkTarget: type === 'symlink' || type === 'hardlink' ? (linkTargets[0] ?? '') : '',
      linkTargets: type === 'symlink' || type === 'hardlink' ? linkTargets : [],
      mode,
      size,
    });
    this.skip = padded(size);
  }

  private startCollect(kind: 'L' | 'K' | 'x', size: number): void {
    // Extended headers are names and a few attributes; a huge one is a malformed archive.
    if (size > 1024 * 1024) throw new TarFormatError(`extended header of ${size} bytes`);
    this.collectPadding = padded(size) - size;
    if (size === 0) {
      this.finishCollect({ kind, size, parts: [], received: 0 });
      return;
    }
    this.collect = { kind, size, parts: [], received: 0 };
  }

  private finishCollect(collect: Collect): void {
    const data = Buffer.concat(collect.parts);
    if (collect.kind === 'L') this.meta.longName = cString(data, 0, data.length);
    else if (collect.kind === 'K') this.meta.longLink = cString(data, 0, data.length);
    else for (const [key, value] of parsePaxRecords(data)) this.meta.pax.set(key, value);
  }
}

/** Parses pax records: "<length> <key>=<value>\n", length counting the whole record. */
export function parsePaxRecords(data: Buffer): Array<[string, string]> {
  const records: Array<[string, string]> = [];
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] === 0) break;
    const space = data.indexOf(0x20, offset);
    if (space < 0) throw new TarFormatError('malformed pax record');
    const length = parseDecimal(data.subarray(offset, space).toString('latin1'), 'pax record length');
    if (length <= space - offset + 1 || offset + length > data.length) throw new TarFormatError('malformed pax record');
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals < 0 || data[offset + length - 1] !== 0x0a) throw new TarFormatError('malformed pax record');
    records.push([record.slice(0, equals), record.slice(equals + 1)]);
    offset += length;
  }
  return records;
}

function entryType(typeflag: string): TarEntryType {
  switch (typeflag) {
    case '0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    default:
      return 'other';
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function cString(buffer: Buffer, start: number, length: number): string {
  const field = buffer.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

/** Octal, or GNU base-256 (high bit of the first byte set) for values that do not fit. */
function parseNumber(buffer: Buffer, start: number, length: number): number {
  const field = buffer.subarray(start, start + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first & 0x40) throw new TarFormatError('negative number in tar header');
    let value = first & 0x3f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw new TarFormatError('number in tar header out of range');
    return value;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`malformed number '${text}' in tar header`);
  return parseInt(text, 8);
}

function parseDecimal(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new TarFormatError(`malformed ${what} '${text}'`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new TarFormatError(`${what} out of range`);
  return value;
}

function checksumMatches(block: Buffer): boolean {
  const recorded = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(recorded)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < BLOCK; index++) {
    const byte = index >= 148 && index < 156 ? 0x20 : (block[index] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Historic tars summed signed bytes; both readers accept either.
  const value = parseInt(recorded, 8);
  return value === unsigned || value === signed;
}

function uniq(values: ReadonlyArray<string | undefined>): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined && value !== ''))];
}
