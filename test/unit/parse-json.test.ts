import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseJsonAs } from '../../src/parse-json.js';

describe('parseJsonAs', () => {
  const schema = z.object({ n: z.number() });

  it('gives the parsed value when the text is JSON of the shape', () => {
    expect(parseJsonAs(schema, '{"n":1}')).toEqual({ n: 1 });
  });

  it('gives undefined for text that is not JSON, and for JSON of another shape', () => {
    expect(parseJsonAs(schema, '{"n":')).toBeUndefined();
    expect(parseJsonAs(schema, '')).toBeUndefined();
    expect(parseJsonAs(schema, '{"n":"1"}')).toBeUndefined();
    expect(parseJsonAs(schema, '[1]')).toBeUndefined();
  });
});
