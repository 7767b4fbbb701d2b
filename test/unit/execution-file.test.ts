import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecutionFile, holdsAcross, type Redact } from '../../src/report/execution-file.js';
import { LineBatcher } from '../../src/runner/line-batcher.js';

describe('ExecutionFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'execution-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const writeThrough = async (chunks: readonly string[], options: ConstructorParameters<typeof LineBatcher>[0] | undefined, redact?: Redact) => {
    const file = await ExecutionFile.open(path.join(dir, 'execution.ndjson'), { redact });
    const batcher = new LineBatcher(options);
    for (const chunk of chunks) await file.writeBatch(batcher.push(Buffer.from(chunk)));
    await file.writeBatch(batcher.end());
    await file.close();
    return readFile(file.path, 'utf8');
  };

  it('appends the lines as they came, split across chunks or not, and ends the last one', async () => {
    expect(await writeThrough(['{"a":1}\n{"b"', ':2}\r\n', '{"c":3}'], undefined)).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
  });

  it('hands whole lines to the redactor, so a secret split across reads is still found, and keeps clean lines as read', async () => {
    const seen: string[] = [];
    const redact = (text: string): string => {
      seen.push(text);
      return text.replaceAll('sk-secret', '***');
    };
    const out = await writeThrough(['{"key":"sk-se', 'cret"}\n{"x":1}\n'], undefined, redact);
    expect(out).toBe('{"key":"***"}\n{"x":1}\n');
    expect(seen).toEqual(['{"key":"sk-secret"}', '{"x":1}']);
  });

  it('with the needles of the redactor, decodes and redacts only a batch whose bytes hold a secret', async () => {
    const seen: string[] = [];
    const redact = Object.assign((text: string): string => {
      seen.push(text);
      return text.replaceAll('sk-secret', '***');
    }, { needles: ['sk-secret'] });
    const out = await writeThrough(['{"x":"é"}\n{"y":2}\n', '{"key":"sk-se', 'cret"}\n{"z":3}\n'], undefined, redact);
    expect(out).toBe('{"x":"é"}\n{"y":2}\n{"key":"***"}\n{"z":3}\n');
    expect(seen).toEqual(['{"key":"sk-secret"}', '{"z":3}']);
  });

  it('finds a secret in the bytes wherever the reads split it, across several runs too', () => {
    const needle = Buffer.from('sk-secret-value');
    const text = Buffer.from('{"a":"xx sk-secret-value yy"}\n');
    for (let first = 1; first < text.length; first++) {
      for (let second = first + 1; second < text.length; second++) {
        expect(holdsAcross([text.subarray(0, first), text.subarray(first, second), text.subarray(second)], needle)).toBe(true);
      }
    }
    expect(holdsAcross([Buffer.from('sk-secret-'), Buffer.from('\n'), Buffer.from('value')], needle)).toBe(false);
    expect(holdsAcross([], needle)).toBe(false);
  });

  it('keeps every byte of a line too long to read, redacted piece by piece', async () => {
    const huge = 'y'.repeat(500);
    expect(await writeThrough(['{"a":1}\n', huge.slice(0, 250), `${huge.slice(250)}\n{"b":2}\n`], 100)).toBe(`{"a":1}\n${huge}\n{"b":2}\n`);
    expect(await writeThrough([huge.slice(0, 250), huge.slice(250)], 100, (text) => text.replaceAll('y', 'z'))).toContain(`${'z'.repeat(500)}\n`);
  });

  it('appends to what earlier attempts wrote', async () => {
    const file = path.join(dir, 'execution.ndjson');
    for (const line of ['{"attempt":1}', '{"attempt":2}']) {
      const writer = await ExecutionFile.open(file);
      await writer.write(line);
      await writer.close();
    }
    expect(await readFile(file, 'utf8')).toBe('{"attempt":1}\n{"attempt":2}\n');
  });
});
