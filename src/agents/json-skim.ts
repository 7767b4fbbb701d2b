// Reading a few members out of one JSON line's bytes without parsing the rest. An agent's message
// lines are mostly long strings (tool output, file contents) of which the runner shows a few
// hundred characters: JSON.parse would build every one of them, the skim steps over them with
// memchr (a string ends at the first `"` that an even number of backslashes precedes).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const LETTER_U = 0x75;
const CONTINUATION_MASK = 0xc0;
const CONTINUATION = 0x80;
/** Bytes decoded beyond the characters asked for, before a string is cut. */
const HEAD_MARGIN = 64;
/** Strings this short are walked byte by byte: cheaper than a call into memchr. */
const SHORT_STRING = 32;

/** The bytes are not JSON the skim can read; the caller parses the line whole instead. */
export class SkimError extends Error {}

/** The start of a string: whole when its JSON text is within the budget, else cut there. */
export interface TextHead {
  readonly text: string;
  /** Bytes of the string's JSON text left out after `text` (0: the whole string). */
  readonly cutBytes: number;
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * A cursor over one JSON value's bytes. It checks the structure it walks (braces, colons, commas,
 * where strings end) and throws `SkimError` on anything else; it does not check what it steps
 * over (numbers, literals and string contents are not validated), so a caller reads only lines
 * that end their object and parses whole whatever the skim refuses. Keys are compared as bytes:
 * JSON.stringify, which both CLIs print with, escapes nothing in a plain ASCII key.
 */
export class JsonSkim {
  pos = 0;
  private keyStart = 0;
  private keyEnd = 0;

  constructor(readonly bytes: Buffer) {}

  /** The next byte that is not whitespace (the cursor moves to it), or -1 at the end. */
  peek(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    while (isSpace(bytes[pos])) pos++;
    this.pos = pos;
    return bytes[pos] ?? -1;
  }

  /**
   * Walks the object at the cursor: `member` is called with the cursor on each value, the key
   * readable with `isKey`; a value it leaves unread is stepped over. `member` returning true stops
   * the walk there (the rest of the object is not looked at): the cursor is then inside the
   * object, so every walk around it must stop too.
   */
  object(member: () => boolean | undefined): void {
    if (this.peek() !== OPEN_BRACE) this.fail('an object');
    this.pos++;
    if (this.peek() === CLOSE_BRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.peek() !== QUOTE) this.fail('a key');
      const keyStart = this.pos + 1;
      const keyEnd = this.stringEnd(keyStart);
      this.pos = keyEnd + 1;
      if (this.peek() !== COLON) this.fail('a colon');
      this.pos++;
      this.peek();
      const valueStart = this.pos;
      this.keyStart = keyStart;
      this.keyEnd = keyEnd;
      if (member() === true) return;
      if (this.pos === valueStart) this.skip();
      const next = this.peek();
      this.pos++;
      if (next === CLOSE_BRACE) return;
      if (next !== COMMA) this.fail('a comma or the end of the object');
    }
  }

  /** Walks the array at the cursor: `item` is called with the cursor on each value; one it leaves unread is stepped over. */
  array(item: () => void): void {
    if (this.peek() !== OPEN_BRACKET) this.fail('an array');
    this.pos++;
    if (this.peek() === CLOSE_BRACKET) {
      this.pos++;
      return;
    }
    for (;;) {
      this.peek();
      const valueStart = this.pos;
      item();
      if (this.pos === valueStart) this.skip();
      const next = this.peek();
      this.pos++;
      if (next === CLOSE_BRACKET) return;
      if (next !== COMMA) this.fail('a comma or the end of the array');
    }
  }

  /** Whether the key of the member being walked is `name` (plain ASCII); ask before walking into its value, which has keys of its own. */
  isKey(name: string): boolean {
    return this.bytesAre(this.keyStart, this.keyEnd, name);
  }

  private bytesAre(start: number, end: number, name: string): boolean {
    if (end - start !== name.length) return false;
    const bytes = this.bytes;
    for (let index = 0; index < name.length; index++) if (bytes[start + index] !== name.charCodeAt(index)) return false;
    return true;
  }

  /** The key of the member being walked, unescaped. */
  keyText(): string {
    return this.decode(this.keyStart, this.keyEnd);
  }

  /** The string at the cursor, whole; undefined (and the value stepped over) when the value is not a string. */
  string(): string | undefined {
    if (this.peek() !== QUOTE) {
      this.skip();
      return undefined;
    }
    const start = this.pos + 1;
    const end = this.stringEnd(start);
    this.pos = end + 1;
    return this.decode(start, end);
  }

  /**
   * The string at the cursor, decoded only as far as it takes to hold `chars` characters after its
   * leading whitespace (whole when its JSON text is at most `chars` bytes and a small margin; else
   * cut before an escape or a UTF-8 sequence that would not fit); undefined, and the value
   * stepped over, when it is not a string.
   */
  head(chars: number): TextHead | undefined {
    if (this.peek() !== QUOTE) {
      this.skip();
      return undefined;
    }
    const start = this.pos + 1;
    const end = this.stringEnd(start);
    this.pos = end + 1;
    for (let window = chars + HEAD_MARGIN; ; window *= 2) {
      if (end - start <= window) return { text: this.decode(start, end), cutBytes: 0 };
      const cut = this.safeCut(start, start + window);
      const text = this.decode(start, cut);
      // Multi-byte characters, escapes or leading whitespace can leave fewer characters than asked.
      if (text.trimStart().length >= chars) return { text, cutBytes: end - cut };
    }
  }

  /**
   * Which of `names` (plain ASCII) the string at the cursor is: its index, or -1 for another string
   * or a value that is not one. The value is stepped over, and not decoded.
   */
  stringIn(names: readonly string[]): number {
    if (this.peek() !== QUOTE) {
      this.skip();
      return -1;
    }
    const start = this.pos + 1;
    const end = this.stringEnd(start);
    this.pos = end + 1;
    return names.findIndex((name) => this.bytesAre(start, end, name));
  }

  /** True or false at the cursor; undefined (and the value stepped over) for anything else. */
  boolean(): boolean | undefined {
    const first = this.peek();
    this.skip();
    if (first === 0x74) return true;
    if (first === 0x66) return false;
    return undefined;
  }

  /** Steps over the value at the cursor and says where it was. */
  span(): { start: number; end: number } {
    this.peek();
    const start = this.pos;
    this.skip();
    return { start, end: this.pos };
  }

  /** Steps over the value at the cursor. */
  skip(): void {
    const first = this.peek();
    if (first === QUOTE) {
      this.pos = this.stringEnd(this.pos + 1) + 1;
      return;
    }
    if (first === OPEN_BRACE || first === OPEN_BRACKET) {
      this.skipContainer();
      return;
    }
    // A number or a literal: up to the next delimiter.
    const bytes = this.bytes;
    let pos = this.pos;
    for (let byte = bytes[pos]; byte !== undefined && byte !== COMMA && byte !== CLOSE_BRACE && byte !== CLOSE_BRACKET && !isSpace(byte); byte = bytes[++pos]);
    if (pos === this.pos) this.fail('a value');
    this.pos = pos;
  }

  private skipContainer(): void {
    const bytes = this.bytes;
    let depth = 0;
    let pos = this.pos;
    for (;;) {
      const byte = bytes[pos];
      if (byte === undefined) this.fail('the end of an object or array');
      if (byte === QUOTE) {
        pos = this.stringEnd(pos + 1) + 1;
        continue;
      }
      if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --depth === 0) {
        this.pos = pos + 1;
        return;
      }
      pos++;
    }
  }

  /** The index of the quote that ends the string whose text starts at `start`. */
  private stringEnd(start: number): number {
    const bytes = this.bytes;
    const shortEnd = Math.min(bytes.length, start + SHORT_STRING);
    let pos = start;
    for (; pos < shortEnd; pos++) {
      const byte = bytes[pos];
      if (byte === QUOTE) return pos;
      if (byte === BACKSLASH) pos++;
    }
    for (;;) {
      const quote = bytes.indexOf(QUOTE, pos);
      if (quote < 0) this.fail('the end of a string');
      let before = quote - 1;
      while (before >= start && bytes[before] === BACKSLASH) before--;
      if (((quote - 1 - before) & 1) === 0) return quote;
      pos = quote + 1;
    }
  }

  /** The string text from `start` to `end` (exclusive, no quotes), unescaped. */
  private decode(start: number, end: number): string {
    const raw = this.bytes.toString('utf8', start, end);
    if (!raw.includes('\\')) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      this.fail('a valid string');
    }
  }

  /** `at`, or the nearest position before it that cuts no UTF-8 sequence and no escape in two. */
  private safeCut(start: number, at: number): number {
    const bytes = this.bytes;
    let cut = at;
    while (cut > start && ((bytes[cut] ?? 0) & CONTINUATION_MASK) === CONTINUATION) cut--;
    // An escape cut short: a backslash run of odd length right before the cut, or a `\uXXXX` that
    // started in the last five bytes.
    for (let escape = Math.max(start, cut - 5); escape < cut; escape++) {
      if (bytes[escape] !== BACKSLASH || !this.startsEscape(start, escape)) continue;
      const length = bytes[escape + 1] === LETTER_U ? 6 : 2;
      if (escape + length > cut) return escape;
      escape += length - 1;
    }
    return cut;
  }

  /** Whether the backslash at `at` starts an escape (it is preceded by an even run of backslashes). */
  private startsEscape(start: number, at: number): boolean {
    let before = at - 1;
    while (before >= start && this.bytes[before] === BACKSLASH) before--;
    return ((at - 1 - before) & 1) === 0;
  }

  private fail(expected: string): never {
    throw new SkimError(`expected ${expected} at byte ${this.pos}`);
  }
}

/** Whether the last byte of a line that is not whitespace closes an object: a line cut short is then not read by a skim. */
export function endsObject(line: Buffer): boolean {
  let end = line.length - 1;
  while (end >= 0 && isSpace(line[end])) end--;
  return line[end] === CLOSE_BRACE;
}
