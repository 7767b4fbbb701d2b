import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration } from '../../src/format.js';
import { parseDuration } from '../../src/settings/duration.js';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [12.4, '12ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1234, '1.2s'],
    [32_000, '32s'],
    [59_940, '59.9s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
  ])('%d ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('writes what parseDuration reads back', () => {
    for (const ms of [500, 2000, 45_000, 60_000, 150_000, 3_600_000, 7_260_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [20 * 1024 * 1024, '20 MiB'],
    [3.25 * 1024 ** 3, '3.3 GiB'],
    [2048 * 1024 ** 3, '2048 GiB'],
  ])('%d bytes read %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});
