import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClaudeLine } from '../../src/agents/claude.js';
import type { AgentEvent } from '../../src/agents/events.js';
import { parseOpenCodeLine } from '../../src/agents/opencode.js';
import { classifyAttempt } from '../../src/runner/classify.js';
import { EvidenceCollector } from '../../src/runner/evidence.js';

// Real output of Claude Code 2.1.331 and OpenCode 1.18.33 against the local model API, captured
// with each fault; the exit code is what the CLI returned.
function classifyFixture(file: string, parse: (line: string) => AgentEvent[], exitCode: number) {
  const evidence = new EvidenceCollector();
  const text = readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8');
  for (const line of text.split('\n')) for (const event of parse(line)) evidence.add(event);
  return {
    verdict: classifyAttempt({
      exitCode,
      signal: null,
      stoppedBy: undefined,
      result: evidence.result,
      errors: evidence.errors,
      finishedAfterLastError: evidence.finishedAfterLastError,
      tail: text.slice(-65536),
    }),
    evidence,
  };
}

describe('classifier on captured Claude Code output', () => {
  it.each([
    ['success.jsonl', 0, 'success', 'success'],
    ['api-retry.jsonl', 0, 'success', 'success'],
    ['reset-mid-stream-recovered.jsonl', 0, 'success', 'success'],
    ['resume-after-400.jsonl', 0, 'success', 'success'],
    ['error-500.jsonl', 1, 'transient', 'server_error'],
    ['error-529.jsonl', 1, 'transient', 'overloaded'],
    ['error-429.jsonl', 1, 'transient', 'rate_limited'],
    ['error-reset.jsonl', 1, 'transient', 'network'],
    ['error-401.jsonl', 1, 'fatal', 'auth'],
    ['error-400.jsonl', 1, 'fatal', 'bad_request'],
  ])('%s → %s/%s', (file, exitCode, kind, reason) => {
    expect(classifyFixture(`claude/${file}`, parseClaudeLine, exitCode).verdict).toMatchObject({ kind, reason });
  });

  it('reads the subtype "success" with is_error true as an error', () => {
    const { evidence } = classifyFixture('claude/error-500.jsonl', parseClaudeLine, 1);
    expect(evidence.result).toMatchObject({ subtype: 'success', isError: true, apiErrorStatus: 500 });
  });

  it('counts the agent’s own API retries and the session', () => {
    const { evidence } = classifyFixture('claude/api-retry.jsonl', parseClaudeLine, 0);
    expect(evidence.agentRetries).toBeGreaterThan(0);
    expect(evidence.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('classifier on captured OpenCode output', () => {
  it.each([
    ['success.jsonl', 0, 'success', 'success'],
    ['resume-after-400.jsonl', 0, 'success', 'success'],
    ['error-500.jsonl', 1, 'transient', 'server_error'],
    ['error-sse.jsonl', 1, 'transient', 'server_error'],
    ['error-401.jsonl', 1, 'fatal', 'auth'],
    // A 401 sent as an SSE error event inside a 200 stream (the proxy's outage hold): OpenCode
    // reports it with status 500 and the API's error object as the body.
    ['error-sse-401.jsonl', 1, 'fatal', 'auth'],
    ['error-400.jsonl', 1, 'fatal', 'bad_request'],
    // Some OpenCode versions exit 0 after an error: the events decide.
    ['error-500.jsonl', 0, 'transient', 'server_error'],
  ])('%s (exit %i) → %s/%s', (file, exitCode, kind, reason) => {
    expect(classifyFixture(`opencode/${file}`, parseOpenCodeLine, exitCode).verdict).toMatchObject({ kind, reason });
  });
});
