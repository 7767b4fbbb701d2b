// JSON from outside the program (files we read back, bodies, tokens) through a zod schema: "not
// JSON" and "not this shape" are the same answer, undefined, for callers that fall back either way.
import type { z } from 'zod';

export function parseJsonAs<Schema extends z.ZodType>(schema: Schema, text: string): z.output<Schema> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
