import { describe, expect, it } from 'vitest';
import { endsObject, JsonSkim, SkimError } from '../../src/agents/json-skim.js';

const skimOf = (value: unknown): JsonSkim => new JsonSkim(Buffer.from(JSON.stringify(value)));

/** Every member of the object at the cursor, each value read whole through `read`. */
function members(skim: JsonSkim, read: (skim: JsonSkim) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  skim.object(() => {
    out[skim.keyText()] = read(skim);
    return false;
  });
  return out;
}

describe('JsonSkim', () => {
  it('walks an object, reads the members it is asked for and steps over the others, whatever they hold', () => {
    const value = { skip: { a: [1, { b: 'x"}]' }], c: null }, n: -1.5e3, t: true, f: false, z: null, s: 'kept "quoted" \\ é ✓ 🙂', arr: ['a', ['b']] };
    const skim = skimOf(value);
    let s: string | undefined;
    let t: boolean | undefined;
    skim.object(() => {
      if (skim.isKey('s')) s = skim.string();
      else if (skim.isKey('t')) t = skim.boolean();
      return false;
    });
    expect(s).toBe(value.s);
    expect(t).toBe(true);
    expect(skim.pos).toBe(skim.bytes.length);
  });

  it('finds the end of strings full of escaped quotes and backslashes, short and long', () => {
    for (const text of ['\\', '\\"', 'a\\\\"b', '"'.repeat(100), `${'x'.repeat(40)}\\"${'y'.repeat(40)}\\\\`, `${'\\'.repeat(33)}"`]) {
      const skim = skimOf({ s: text, after: 1 });
      expect(members(skim, (inner) => (inner.peek() === 0x22 ? inner.string() : inner.span()))).toMatchObject({ s: text });
    }
  });

  it('walks arrays, stepping over the items it leaves unread', () => {
    const skim = skimOf([1, 'two', { three: 3 }, [4]]);
    const seen: string[] = [];
    skim.array(() => {
      if (skim.peek() === 0x22) seen.push(skim.string() ?? '');
    });
    expect(seen).toEqual(['two']);
    expect(skim.pos).toBe(skim.bytes.length);
  });

  it('tells strings apart without decoding them, and a value that is not one', () => {
    const skim = skimOf({ a: 'tool_use', b: 'tool', c: 7 });
    const found: number[] = [];
    skim.object(() => {
      found.push(skim.stringIn(['text', 'tool_use']));
      return false;
    });
    expect(found).toEqual([1, -1, -1]);
  });

  it('stops an object walk where the member callback says so', () => {
    const skim = new JsonSkim(Buffer.from('{"a":1,"b":2,"c":'));
    const keys: string[] = [];
    skim.object(() => {
      keys.push(skim.keyText());
      return skim.isKey('b');
    });
    expect(keys).toEqual(['a', 'b']);
  });

  it('reads JSON with whitespace between its tokens', () => {
    const skim = new JsonSkim(Buffer.from(' { "a" : [ 1 , "x" ] , "b" : "y" } '));
    expect(members(skim, (inner) => (inner.peek() === 0x22 ? inner.string() : inner.span().end))).toEqual({ a: 20, b: 'y' });
  });

  it('throws SkimError on what is not JSON it can read', () => {
    for (const text of ['{"a":1', '{"a" 1}', '{"a":"unterminated}', '[1 2]', '{"a":}', '{"s":"bad \\x escape"}']) {
      expect(() => members(new JsonSkim(Buffer.from(text)), (skim) => (skim.peek() === 0x22 ? skim.string() : skim.span()))).toThrow(SkimError);
    }
  });

  describe('head: the start of a long string', () => {
    it('decodes a string whole while its JSON text is short enough', () => {
      const skim = skimOf('short\ntext');
      expect(skim.head(100)).toEqual({ text: 'short\ntext', cutBytes: 0 });
    });

    it('cuts a long string and counts the bytes left out', () => {
      const text = 'x'.repeat(5000);
      const head = skimOf(text).head(100);
      expect(head?.text.length).toBeGreaterThanOrEqual(100);
      expect(text.startsWith(head?.text ?? '?')).toBe(true);
      expect((head?.text.length ?? 0) + (head?.cutBytes ?? 0)).toBe(5000);
    });

    it('never cuts an escape or a UTF-8 character in two, wherever the cut falls', () => {
      const text = 'é✓🙂\\"\n\u0001'.repeat(40);
      const json = JSON.stringify(text);
      for (let chars = 1; chars < 120; chars++) {
        const head = new JsonSkim(Buffer.from(json)).head(chars);
        expect(head).toBeDefined();
        expect(text.startsWith(head?.text ?? '?')).toBe(true);
        expect(head?.text.trimStart().length ?? 0).toBeGreaterThanOrEqual(Math.min(chars, text.trimStart().length));
        // What was decoded and what was left out are the whole JSON text.
        expect(Buffer.byteLength(JSON.stringify(head?.text ?? '')) - 2 + (head?.cutBytes ?? 0)).toBe(Buffer.byteLength(json) - 2);
      }
    });

    it('reads on past leading whitespace to hold the characters asked for', () => {
      const text = `${' '.repeat(300)}${'y'.repeat(300)}`;
      const head = skimOf(text).head(50);
      expect(head?.text.trimStart().length).toBeGreaterThanOrEqual(50);
    });
  });

  it('endsObject: a line cut short is told apart', () => {
    expect(endsObject(Buffer.from('{"a":1} \r'))).toBe(true);
    expect(endsObject(Buffer.from('{"a":"}'))).toBe(true);
    expect(endsObject(Buffer.from('{"a":1'))).toBe(false);
    expect(endsObject(Buffer.from(''))).toBe(false);
  });
});
