import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { providerRoute } from '../../src/agents/provider-route.js';
import { messagesOf } from '../../src/report/execution-array.js';
import { jsonSchemaRequested, structuredOutcome } from '../../src/report/structured-output.js';
import { mergeClaudeSettings, parseClaudeSettings } from '../../src/settings/claude-settings.js';
import { foreignInputs } from '../../src/settings/foreign-inputs.js';
import { readSettings } from '../../src/settings/settings.js';

const context = { baseDir: '/tmp', tempDir: '/tmp' };
const read = (inputs: Record<string, string>) => readSettings((name) => ({ prompt: 'x', ...inputs } as Record<string, string | undefined>)[name], context);

describe('the settings input', () => {
  it('takes JSON or a JSON file, and refuses anything else naming the input', () => {
    expect(parseClaudeSettings('{"model":"x"}', '/tmp')).toEqual({ ok: true, value: { model: 'x' } });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'settings-'));
    writeFileSync(path.join(dir, 'claude.json'), '{"permissions":{"allow":["Bash"]}}');
    expect(parseClaudeSettings('claude.json', dir)).toEqual({ ok: true, value: { permissions: { allow: ['Bash'] } } });
    expect(() => read({ settings: 'missing.json' })).toThrow(/^settings: 'missing.json' is neither JSON nor a readable file \(ENOENT\)$/);
    expect(() => read({ settings: '[1]' })).toThrow(/^settings: is not a JSON object$/);
  });

  it('merges as claude-code-action: the input replaces top-level keys', () => {
    expect(mergeClaudeSettings({ model: 'a', env: { A: '1' } }, { env: { B: '2' } })).toEqual({ model: 'a', env: { B: '2' } });
  });
});

describe('providers', () => {
  it('sets CLAUDE_CODE_USE_* and fronts Vertex and Foundry with the proxy, not Bedrock', () => {
    expect(read({ use_vertex: 'true' }).provider).toBe('vertex');
    expect(() => read({ use_vertex: 'true', use_bedrock: 'true' })).toThrow(/^use_bedrock, use_vertex: 'true' in more than one/);
    expect(() => read({ agent: 'opencode', use_foundry: 'true' })).toThrow(/^use_foundry: 'true' applies to agent claude only/);
    expect(providerRoute('bedrock', { AWS_REGION: 'us-east-1' })).toMatchObject({ useVariable: 'CLAUDE_CODE_USE_BEDROCK', upstream: undefined });
    expect(providerRoute('vertex', { CLOUD_ML_REGION: 'europe-west1' }).upstream).toBe('https://europe-west1-aiplatform.googleapis.com/v1');
    expect(providerRoute('vertex', { CLOUD_ML_REGION: 'global' }).upstream).toBe('https://aiplatform.googleapis.com/v1');
    expect(providerRoute('vertex', { VERTEX_REGION_CLAUDE_3_5_HAIKU: 'us-east5' }).upstream).toBeUndefined();
    expect(providerRoute('foundry', { ANTHROPIC_FOUNDRY_RESOURCE: 'res' }).upstream).toBe('https://res.services.ai.azure.com/anthropic');
    expect(providerRoute('anthropic', {}).upstream).toBe('https://api.anthropic.com');
  });
});

describe('github_token', () => {
  it("is the job's token by default in Actions and none from the CLI", () => {
    expect(read({ github_token: 'ghs_job' }).secrets.githubToken).toBe('ghs_job');
    expect(read({}).secrets.githubToken).toBeUndefined();
  });
});

describe('claude-code-action-only inputs', () => {
  it('fail when they differ from its defaults; display inputs only warn', () => {
    const result = foreignInputs({ INPUT_LABEL_TRIGGER: 'ai', INPUT_BOT_NAME: 'claude[bot]', INPUT_PLUGINS: 'x@y', INPUT_SHOW_FULL_OUTPUT: 'true' });
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toMatch(/^label_trigger: 'ai' is a tag-mode input/);
    expect(result.errors[1]).toMatch(/^plugins: not supported/);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^show_full_output: ignored/);
  });
});

describe('structured_output', () => {
  const result = (extra: Record<string, unknown>) => [{ type: 'system', subtype: 'init' }, { type: 'result', subtype: 'success', is_error: false, ...extra }];
  it('is read from the final result only when --json-schema was given', () => {
    expect(jsonSchemaRequested(['--json-schema', '{}'])).toBe(true);
    expect(jsonSchemaRequested(['--json-schema={}'])).toBe(true);
    expect(structuredOutcome(false, result({ structured_output: { a: 1 } }))).toEqual({ kind: 'not_requested' });
    expect(structuredOutcome(true, result({ structured_output: { a: 1 } }))).toEqual({ kind: 'present', json: '{"a":1}', fields: 1 });
    const missing = structuredOutcome(true, result({}));
    expect(missing.kind === 'missing' && missing.message).toBe('--json-schema was provided but Claude did not return structured_output. Result subtype: success');
    expect(structuredOutcome(true, result({ is_error: true, structured_output: { a: 1 } }))).toMatchObject({ kind: 'missing' });
  });
});

describe('execution array', () => {
  it('keeps the JSON object lines in order and drops the rest', () => {
    expect(messagesOf(['{"type":"system"}', '', 'Trace: boom', '[1]', '{"type":"result"}'])).toEqual([{ type: 'system' }, { type: 'result' }]);
  });
});
