// claude-code-action's `structured_output`: when `--json-schema` is in claude_args, the final
// result message of a successful run carries `structured_output`, given on as a JSON string; a run
// that asked for it and did not get it fails (base-action/src/run-claude-sdk.ts).

export type StructuredOutcome =
  | { readonly kind: 'not_requested' }
  | { readonly kind: 'present'; readonly json: string; readonly fields: number }
  | { readonly kind: 'missing'; readonly message: string };

export function jsonSchemaRequested(agentArgs: readonly string[]): boolean {
  return agentArgs.some((arg) => arg === '--json-schema' || arg.startsWith('--json-schema='));
}

/** Pure: the outcome from the run's messages (the last `result` message decides). */
export function structuredOutcome(requested: boolean, messages: readonly Record<string, unknown>[]): StructuredOutcome {
  if (!requested) return { kind: 'not_requested' };
  const result = [...messages].reverse().find((entry) => entry.type === 'result');
  const subtype = typeof result?.subtype === 'string' ? result.subtype : 'none';
  const success = subtype === 'success' && result?.is_error !== true;
  const value = result?.structured_output;
  if (success && value !== undefined && value !== null && value !== false && value !== '' && value !== 0) {
    return { kind: 'present', json: JSON.stringify(value), fields: typeof value === 'object' ? Object.keys(value).length : 0 };
  }
  return { kind: 'missing', message: `--json-schema was provided but Claude did not return structured_output. Result subtype: ${subtype}` };
}
