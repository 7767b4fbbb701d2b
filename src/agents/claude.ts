import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { AdapterContext, AgentAdapter, AgentLaunch, LaunchRequest } from './adapter.js';
import { parseJsonLine, type AgentEvent } from './events.js';
import { agentRequestTimeoutMs } from '../proxy/hold-policy.js';
import { providerRoute } from './provider-route.js';
import { mergeClaudeSettings, readSettingsFile } from '../settings/claude-settings.js';

// Claude's key order changes between lines and versions: parse objects, never match text.
const initLine = z.object({
  type: z.literal('system'),
  subtype: z.literal('init'),
  session_id: z.string(),
  model: z.string().optional(),
  claude_code_version: z.string().optional(),
});
const apiRetryLine = z.object({
  type: z.literal('system'),
  subtype: z.literal('api_retry'),
  attempt: z.number(),
  max_retries: z.number().optional(),
  retry_delay_ms: z.number().optional(),
  error_status: z.number().nullable().optional(),
  error: z.string().optional(),
});
const contentBlock = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  z.object({
    type: z.literal('tool_result'),
    tool_use_id: z.string(),
    content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())]).optional(),
    is_error: z.boolean().nullable().optional(),
  }),
  z.object({ type: z.string() }).loose(),
]);
const messageLine = z.object({
  type: z.enum(['assistant', 'user']),
  message: z.object({ content: z.union([z.string(), z.array(contentBlock)]), stop_reason: z.string().nullable().optional() }).loose(),
});
const resultLine = z.object({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean().optional(),
  terminal_reason: z.string().optional(),
  api_error_status: z.number().nullable().optional(),
  api_error_type: z.string().nullable().optional(),
  result: z.string().optional(),
  errors: z.array(z.string()).optional(),
  num_turns: z.number().optional(),
  total_cost_usd: z.number().optional(),
  session_id: z.string().optional(),
});
const anyEvent = z.object({ type: z.string(), subtype: z.string().optional() }).loose();

export function parseClaudeLine(line: string): AgentEvent[] {
  const json = parseJsonLine(line);
  if (!json.ok) return line.trim() === '' ? [] : [{ type: 'not_json', line }];
  const value = json.value;

  const init = initLine.safeParse(value);
  if (init.success) {
    return [{ type: 'init', sessionId: init.data.session_id, model: init.data.model, version: init.data.claude_code_version }];
  }
  const retry = apiRetryLine.safeParse(value);
  if (retry.success) {
    const r = retry.data;
    return [{ type: 'api_retry', attempt: r.attempt, maxRetries: r.max_retries, status: r.error_status ?? null, error: r.error, delayMs: r.retry_delay_ms }];
  }
  const message = messageLine.safeParse(value);
  if (message.success) return messageEvents(message.data);
  const result = resultLine.safeParse(value);
  if (result.success) {
    const r = result.data;
    return [{
      type: 'result',
      // A result whose subtype says success can still be an error (API failures): is_error decides.
      isError: r.is_error ?? r.subtype !== 'success',
      subtype: r.subtype,
      terminalReason: r.terminal_reason,
      apiErrorStatus: r.api_error_status,
      apiErrorType: r.api_error_type,
      text: r.result ?? r.errors?.join('\n') ?? '',
      numTurns: r.num_turns,
      costUsd: r.total_cost_usd,
      sessionId: r.session_id,
    }];
  }
  const other = anyEvent.safeParse(value);
  return [{ type: 'other', kind: other.success ? [other.data.type, other.data.subtype].filter(Boolean).join('/') : 'unknown' }];
}

function messageEvents(line: z.infer<typeof messageLine>): AgentEvent[] {
  const content = line.message.content;
  if (typeof content === 'string') return line.type === 'assistant' ? [{ type: 'text', text: content }] : [];
  const events: AgentEvent[] = [];
  for (const block of content) {
    if (block.type === 'text' && 'text' in block && typeof block.text === 'string') {
      if (line.type === 'assistant') events.push({ type: 'text', text: block.text });
    } else if (block.type === 'tool_use' && 'name' in block && typeof block.name === 'string' && 'id' in block && typeof block.id === 'string') {
      events.push({ type: 'tool_call', id: block.id, name: block.name, input: 'input' in block ? block.input : undefined });
    } else if (block.type === 'tool_result' && 'tool_use_id' in block && typeof block.tool_use_id === 'string') {
      events.push({ type: 'tool_result', id: block.tool_use_id, ok: !('is_error' in block && block.is_error === true), output: toolResultText(block) });
    }
  }
  if (line.type === 'assistant' && line.message.stop_reason) events.push({ type: 'turn', reason: line.message.stop_reason });
  return events;
}

function toolResultText(block: object): string {
  const content = 'content' in block ? block.content : undefined;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part: unknown) => (part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : '')).join('');
  }
  return '';
}

export class ClaudeAdapter implements AgentAdapter {
  readonly name = 'claude' as const;
  readonly label = 'Claude Code';
  readonly npmPackage = '@anthropic-ai/claude-code';
  readonly executableName = 'claude';
  readonly stateDir: string;

  constructor(private readonly context: AdapterContext) {
    this.stateDir = path.join(context.settings.homeDir, 'claude-config');
  }

  /** Whether its requests go through our proxy with outage holds on. */
  private get holdsRequests(): boolean {
    const { settings, apiBaseUrl } = this.context;
    return apiBaseUrl !== undefined && settings.apiProxy.enabled && settings.apiProxy.retryTimeMs > 0;
  }

  async prepare(): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    const { claudeSettings } = this.context.settings;
    if (claudeSettings !== undefined) {
      // claude-code-action merges into ~/.claude/settings.json; the runner's file is the base here too.
      const existing = await readFile(path.join(this.stateDir, 'settings.json'), 'utf8')
        .catch(() => readFile(path.join(os.homedir(), '.claude', 'settings.json'), 'utf8'))
        .catch(() => undefined);
      const merged = mergeClaudeSettings(readSettingsFile(existing), claudeSettings);
      await writeFile(path.join(this.stateDir, 'settings.json'), `${JSON.stringify(merged, null, 2)}\n`);
    }
  }

  newSessionId(): string {
    return randomUUID();
  }

  launch(request: LaunchRequest): AgentLaunch {
    const { settings, apiBaseUrl } = this.context;
    const args = ['-p', request.prompt, '--output-format', 'stream-json', '--verbose'];
    if (request.sessionId) args.push(request.mode === 'resume' ? '--resume' : '--session-id', request.sessionId);
    if (settings.model) args.push('--model', settings.model);
    args.push(...settings.agentArgs);
    const { secrets } = settings;
    const route = providerRoute(settings.provider, {});
    return {
      args,
      env: {
        CLAUDE_CONFIG_DIR: this.stateDir,
        // The proxy's URL in the variable of the provider in use; unset leaves the step's own value.
        [route.baseUrlVariable]: apiBaseUrl,
        ...(route.useVariable ? { [route.useVariable]: '1' } : {}),
        ANTHROPIC_API_KEY: secrets.anthropicApiKey,
        CLAUDE_CODE_OAUTH_TOKEN: secrets.claudeCodeOauthToken,
        GITHUB_TOKEN: secrets.githubToken,
        GH_TOKEN: secrets.githubToken,
        DISABLE_AUTOUPDATER: '1',
      },
      envDefaults: {
        // Side traffic (telemetry, update checks) is not the agent's work and fails in locked-down CI.
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
      // API_TIMEOUT_MS bounds the wait for an answer's headers, which a hold sends at once; but a
      // held stream was also seen closed at 620 s with the default 600 s, so it is raised beyond
      // the hold: a request held through an outage must not be ended by the agent first.
      envAtLeast: this.holdsRequests ? { API_TIMEOUT_MS: agentRequestTimeoutMs(settings.apiProxy.retryTimeMs) } : {},
    };
  }

  parseLine(line: string): AgentEvent[] {
    return parseClaudeLine(line);
  }
}
