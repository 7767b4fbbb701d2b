import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentTestEnv, CLAUDE, runAction } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

// A claude-code-action automation step moved over: the same claude_args text, the same outputs.
const SCHEMA = '{"type":"object","properties":{"ok":{"type":"boolean"},"count":{"type":"number"}},"required":["ok","count"]}';
const CLAUDE_ARGS = ['--allowedTools Bash(echo:*),Bash', '# the schema of the answer', `--json-schema '${SCHEMA}'`, '--max-turns 30'].join('\n');

// claude-code-action's execution file: a JSON array of SDK messages, init first, one result last.
const executionArray = z.array(z.object({ type: z.string(), session_id: z.string().optional() }).loose()).min(2);

describe('durable-agent as a drop-in for claude-code-action', () => {
  const setup = useWorkspaceAndModelApi();

  const inputs = (extra: Record<string, string> = {}): Record<string, string> => ({
    prompt: 'Work through the task step by step.',
    anthropic_api_key: 'sk-test',
    path_to_claude_code_executable: CLAUDE,
    claude_args: CLAUDE_ARGS,
    checkpoint_store: 'none',
    ...extra,
  });

  it('gives structured_output, execution_file in its format, and a session a later step can resume', async () => {
    await setup.startApi({ script: { steps: 2, structuredOutput: { ok: true, count: 2 } } });
    const result = await runAction(setup.ws, inputs({ settings: '{"includeCoAuthoredBy": false, "env": {"DEMO": "1"}}' }), { env: agentTestEnv(setup.ws, setup.api.url) });
    expect(result.exitCode, result.stdout.slice(-3000)).toBe(0);
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-2']);
    expect(JSON.parse(readFileSync(path.join(result.outputs.claude_config_dir ?? '', 'settings.json'), 'utf8'))).toEqual({ includeCoAuthoredBy: false, env: { DEMO: '1' } });
    expect(JSON.parse(result.outputs.structured_output ?? '')).toEqual({ ok: true, count: 2 });

    const messages = executionArray.parse(JSON.parse(readFileSync(result.outputs.execution_file ?? '', 'utf8')));
    expect(path.basename(result.outputs.execution_file ?? '')).toBe('claude-execution-output.json');
    expect(messages[0]).toMatchObject({ type: 'system', subtype: 'init', session_id: result.outputs.session_id });
    expect(messages.at(-1)).toMatchObject({ type: 'result', subtype: 'success', is_error: false, structured_output: { ok: true, count: 2 } });
    // The NDJSON log holds the same messages, line by line.
    expect(readFileSync(result.outputs.execution_log ?? '', 'utf8').trim().split('\n')).toHaveLength(messages.length);

    // The session is in the config folder the output names: `claude --resume` finds it there.
    const projects = path.join(result.outputs.claude_config_dir ?? '', 'projects');
    const transcripts = readdirSync(projects, { recursive: true, encoding: 'utf8' });
    expect(transcripts.some((file) => file.endsWith(`${result.outputs.session_id ?? '-'}.jsonl`))).toBe(true);
  });

  it('fails like claude-code-action when --json-schema was given and no structured output came back', async () => {
    await setup.startApi({ script: { steps: 1 } });
    const result = await runAction(setup.ws, inputs(), { env: agentTestEnv(setup.ws, setup.api.url) });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('::error::--json-schema was provided but Claude did not return structured_output. Result subtype: success');
    expect(result.outputs.conclusion).toBe('failure');
    expect(result.outputs.structured_output ?? '').toBe('');
  });

  it('refuses tag-mode inputs with one line pointing to guard mode, before running anything', async () => {
    const result = await runAction(setup.ws, inputs({ trigger_phrase: '/claude', track_progress: 'true', use_sticky_comment: 'false' }), { env: { HOME: setup.ws.home } });
    expect(result.exitCode).toBe(1);
    const errors = result.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors.join('\n')).toMatch(/trigger_phrase: '\/claude' is a tag-mode input of claude-code-action; .*guard@v0/);
    expect(errors.join('\n')).toMatch(/track_progress: 'true'/);
    // A value equal to claude-code-action's default changes nothing and passes.
    expect(errors.join('\n')).not.toMatch(/use_sticky_comment/);
  });

  it('runs Claude Code on Vertex AI and Microsoft Foundry through the retry proxy', async () => {
    await setup.startApi({ script: { steps: 1 }, faults: [{ kind: 'http500', at: { step: 1 }, count: 1 }] });
    const env = {
      ...agentTestEnv(setup.ws, setup.api.url),
      ANTHROPIC_BASE_URL: '',
      ANTHROPIC_VERTEX_BASE_URL: `${setup.api.url}/vertex/v1`,
      ANTHROPIC_VERTEX_PROJECT_ID: 'demo-project',
      CLOUD_ML_REGION: 'us-east5',
      CLAUDE_CODE_SKIP_VERTEX_AUTH: '1',
    };
    const vertex = await runAction(setup.ws, inputs({ use_vertex: 'true', claude_args: '--allowedTools Bash' }), { env });
    expect(vertex.exitCode, vertex.stdout.slice(-3000)).toBe(0);
    expect(vertex.stdout).toMatch(/API retry proxy: http:\/\/127\.0\.0\.1:\d+ → http:\/\/127\.0\.0\.1/);
    expect(vertex.outputs.api_retries).toBe('1');
    const vertexPaths = setup.api.requests.filter((request) => request.kind === 'conversation').map((request) => request.path);
    expect(vertexPaths[0]).toMatch(/^\/vertex\/v1\/projects\/demo-project\/locations\/us-east5\/publishers\/anthropic\/models\/[^/]+:streamRawPredict/);

    setup.api.setFaults([{ kind: 'http500', at: { request: 1 }, count: 1 }]);
    const before = setup.api.requests.length;
    const foundry = await runAction(setup.ws, inputs({ use_foundry: 'true', claude_args: '--allowedTools Bash' }), {
      env: { ...agentTestEnv(setup.ws, setup.api.url), ANTHROPIC_BASE_URL: '', ANTHROPIC_FOUNDRY_BASE_URL: `${setup.api.url}/anthropic`, CLAUDE_CODE_SKIP_FOUNDRY_AUTH: '1' },
    });
    expect(foundry.exitCode, foundry.stdout.slice(-3000)).toBe(0);
    expect(foundry.outputs.api_retries).toBe('1');
    expect(setup.api.requests.slice(before).find((request) => request.kind === 'conversation')?.path).toMatch(/^\/anthropic\/v1\/messages/);
  });

  it('sends Bedrock straight to its host (signed requests) and says so', async () => {
    await setup.startApi({ script: { steps: 1 } });
    const result = await runAction(setup.ws, inputs({ use_bedrock: 'true', claude_args: '--allowedTools Bash', max_attempts: '1' }), {
      env: { ...agentTestEnv(setup.ws, setup.api.url), ANTHROPIC_BASE_URL: '', ANTHROPIC_BEDROCK_BASE_URL: setup.api.url, AWS_REGION: 'us-east-1', CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1' },
    });
    expect(result.stdout).toContain('Amazon Bedrock requests are signed (SigV4) for the Bedrock host, so they go straight to Bedrock');
    expect(result.stdout).not.toMatch(/API retry proxy: http/);
    // Claude Code called the Bedrock runtime API itself, at the base URL of the job.
    expect(setup.api.requests.some((request) => request.path.startsWith('/model/'))).toBe(true);
  });
});
