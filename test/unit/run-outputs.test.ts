import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runOutputs, type OutputFacts } from '../../src/report/run-outputs.js';

const RESULT: OutputFacts = {
  conclusion: 'failure',
  sessionId: undefined,
  executionFile: '/home/durable-agent/execution.ndjson',
  failureReason: 'rate_limited',
  attempts: [{ mode: 'fresh' }, { mode: 'resume' }, { mode: 'resume' }, { mode: 'fresh' }],
  freshAfterLostSession: 1,
  apiRetries: 9,
  resumed: true,
  restoredFrom: '3@2026-05-01T12:00:00.000Z',
  checkpointKey: '0123456789abcdef/000004',
  checkpointsSaved: 2,
};

describe('runOutputs', () => {
  it('builds every output of a run as text, in the order the action sets them and the CLI prints them', () => {
    expect(Object.entries(runOutputs(RESULT))).toEqual([
      ['conclusion', 'failure'],
      ['session_id', ''],
      ['execution_log', '/home/durable-agent/execution.ndjson'],
      ['failure_reason', 'rate_limited'],
      ['attempts', '4'],
      ['resumed_sessions', '2'],
      ['fresh_session_fallbacks', '1'],
      ['api_retries', '9'],
      ['resumed', 'true'],
      ['restored_from', '3@2026-05-01T12:00:00.000Z'],
      ['checkpoint_key', '0123456789abcdef/000004'],
      ['checkpoints_saved', '2'],
    ]);
  });

  it('gives the session id when there is one, and names only action outputs', () => {
    const outputs = runOutputs({ ...RESULT, conclusion: 'success', failureReason: '', sessionId: 'abc' });
    expect(outputs.session_id).toBe('abc');
    expect(outputs.failure_reason).toBe('');
    const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as { outputs: Record<string, unknown> };
    for (const name of Object.keys(outputs)) expect(Object.keys(action.outputs), name).toContain(name);
  });
});
