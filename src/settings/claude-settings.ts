import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../error-message.js';
import { parseJsonAs } from '../parse-json.js';

const settingsObject = z.record(z.string(), z.unknown());

export type ParsedClaudeSettings = { ok: true; value: Record<string, unknown> | undefined } | { ok: false; problem: string };

/**
 * The `settings` input as claude-code-action reads it: JSON text, or else the path of a JSON file
 * (relative paths from the workspace). Either must hold one JSON object.
 */
export function parseClaudeSettings(text: string, baseDir: string): ParsedClaudeSettings {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: undefined };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    const file = path.resolve(baseDir, trimmed);
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (error) {
      const shown = trimmed.length > 80 ? `${trimmed.slice(0, 77)}...` : trimmed;
      return { ok: false, problem: `'${shown}' is neither JSON nor a readable file (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    try {
      json = JSON.parse(content);
    } catch (error) {
      return { ok: false, problem: `the file '${trimmed}' is not JSON (${errorMessage(error)})` };
    }
  }
  const parsed = settingsObject.safeParse(json);
  if (!parsed.success) return { ok: false, problem: 'is not a JSON object' };
  return { ok: true, value: parsed.data };
}

/**
 * Claude Code's settings.json after the `settings` input, merged the way claude-code-action merges
 * it: the keys of the input replace those of the existing file, one level deep. (claude-code-action
 * also always sets `enableAllProjectMcpServers: true`; durable-agent leaves that to the input, so a
 * pull request's `.mcp.json` does not start servers unless the workflow says so.)
 */
export function mergeClaudeSettings(existing: Readonly<Record<string, unknown>> | undefined, input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { ...existing, ...input };
}

/** Reads an existing settings.json; a missing, empty or unreadable one counts as none. */
export function readSettingsFile(text: string | undefined): Record<string, unknown> | undefined {
  return text === undefined || text.trim() === '' ? undefined : parseJsonAs(settingsObject, text);
}
