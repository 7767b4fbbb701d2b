import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { parseJsonAs } from '../parse-json.js';

// claude-code-action's `execution_file` is one JSON array of the Agent SDK's messages, written at
// the end of the run (base-action/src/execution-file.ts: JSON.stringify(messages, null, 2)).
// Claude Code's stream-json lines are those same messages, so the array is built from the NDJSON
// log the runner already keeps; a line that is not a JSON object (a crash trace) is left out.

const message = z.record(z.string(), z.unknown());

/** Pure: the messages of NDJSON text, in order. */
export function messagesOf(lines: Iterable<string>): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  for (const line of lines) {
    // Not JSON, or not an object: not a message.
    const parsed = line.trim() === '' ? undefined : parseJsonAs(message, line);
    if (parsed !== undefined) messages.push(parsed);
  }
  return messages;
}

async function readLines(file: string): Promise<string[]> {
  const lines: string[] = [];
  try {
    for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) lines.push(line);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return lines;
}

/** Reads the NDJSON log and writes claude-code-action's array format; returns the messages. */
export async function writeExecutionArray(ndjsonFile: string, arrayFile: string): Promise<Record<string, unknown>[]> {
  const messages = messagesOf(await readLines(ndjsonFile));
  // It holds the transcript, like the NDJSON log it comes from: private to the user.
  await writeFile(arrayFile, JSON.stringify(messages, null, 2), { mode: 0o600 });
  return messages;
}
