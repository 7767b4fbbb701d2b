import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { AdapterContext, AgentAdapter, AgentLaunch, LaunchRequest } from './adapter.js';
import type { AgentDescription } from './agent-description.js';
import { skimClaudeMessage } from './claude-message-skim.js';
import { isRecord, parseAgentLine, stringField, type AgentEvent, type LineReader } from './events.js';
import { agentRequestTimeoutMs } from '../proxy/hold-policy.js';
import { providerRoute } from './provider-route.js';
import type { UserFolders } from '../run-context.js';
import { mergeClaudeSettings, readSettingsFile } from '../settings/claude-settings.js';

// Claude's key order changes between lines and versions: parse objects, never match text.
// Only the lines the classifier and the retry loop act on go through a schema; the many message
// lines (most of the bytes) are read field by field for the transcript, which tolerates gaps.
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

/**
 * The line types the runner acts on (any other is passed over unparsed; it still reaches the
 * execution file); message lines, most of the bytes, are read from their bytes.
 */
const CLAUDE_LINES: LineReader = {
  acted: new Set(['system', 'assistant', 'user', 'result']),
  toEvents: (value) => claudeEvents(value),
  fromBytes: (type, line) => (type === 'assistant' || type === 'user' ? skimClaudeMessage(type, line) : undefined),
};

/** One line of Claude's stream-json (its bytes without the line end, or its text) to events. */
export function parseClaudeLine(line: Buffer | string): AgentEvent[] {
  return parseAgentLine(line, CLAUDE_LINES);
}

/** One parsed Claude line to events: a cheap look at `type` first, a schema only where it matters. */
export function claudeEvents(value: unknown): AgentEvent[] {
  if (!isRecord(value)) return [{ type: 'other', kind: 'unknown' }];
  const type = stringField(value, 'type');
  const subtype = stringField(value, 'subtype');
  if (type === 'assistant' || type === 'user') {
    const events = messageEvents(type, value.message);
    if (events !== undefined) return events;
  } else if (type === 'system' && subtype === 'init') {
    const init = initLine.safeParse(value);
    if (init.success) return [{ type: 'init', sessionId: init.data.session_id, model: init.data.model, version: init.data.claude_code_version }];
  } else if (type === 'system' && subtype === 'api_retry') {
    const retry = apiRetryLine.safeParse(value);
    if (retry.success) {
      const r = retry.data;
      return [{ type: 'api_retry', attempt: r.attempt, maxRetries: r.max_retries, status: r.error_status ?? null, error: r.error, delayMs: r.retry_delay_ms }];
    }
  } else if (type === 'result') {
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
  }
  return [{ type: 'other', kind: type === undefined ? 'unknown' : [type, subtype].filter(Boolean).join('/') }];
}

/** An assistant or user message's blocks as events; undefined when it is not a message at all. */
function messageEvents(role: 'assistant' | 'user', message: unknown): AgentEvent[] | undefined {
  if (!isRecord(message)) return undefined;
  const content = message.content;
  if (typeof content === 'string') return role === 'assistant' ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return undefined;
  const events: AgentEvent[] = [];
  for (const block of content as unknown[]) {
    if (!isRecord(block)) continue;
    switch (block.type) {
      case 'text': {
        const text = stringField(block, 'text');
        if (role === 'assistant' && text !== undefined) events.push({ type: 'text', text });
        break;
      }
      case 'tool_use': {
        const id = stringField(block, 'id');
        const name = stringField(block, 'name');
        if (id !== undefined && name !== undefined) events.push({ type: 'tool_call', id, name, input: block.input });
        break;
      }
      case 'tool_result': {
        const id = stringField(block, 'tool_use_id');
        if (id !== undefined) events.push({ type: 'tool_result', id, ok: block.is_error !== true, output: toolResultText(block.content) });
        break;
      }
      default:
        break;
    }
  }
  const stop = message.stop_reason;
  if (role === 'assistant' && typeof stop === 'string' && stop !== '') events.push({ type: 'turn', reason: stop });
  return events;
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content as unknown[]) {
    if (isRecord(part) && typeof part.text === 'string') text += part.text;
  }
  return text;
}

export class ClaudeAdapter implements AgentAdapter {
  readonly stateDir: string;

  constructor(
    private readonly context: AdapterContext,
    readonly agent: AgentDescription,
  ) {
    this.stateDir = context.settings.home.claudeConfig;
  }

  /** Whether its requests go through our proxy with outage holds on. */
  private get holdsRequests(): boolean {
    const { settings, apiBaseUrl } = this.context;
    return apiBaseUrl !== undefined && settings.apiProxy.enabled && settings.apiProxy.retryTimeMs > 0;
  }

  async prepare(user: Pick<UserFolders, 'home'>): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    const { claudeSettings } = this.context.settings;
    if (claudeSettings !== undefined) {
      // claude-code-action merges into ~/.claude/settings.json; the runner's file is the base here too.
      const existing = await readFile(path.join(this.stateDir, 'settings.json'), 'utf8')
        .catch(() => readFile(path.join(user.home, '.claude', 'settings.json'), 'utf8'))
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
    if (request.sessionId) args.push(...(request.mode === 'resume' ? this.agent.resumeArgs(request.sessionId) : ['--session-id', request.sessionId]));
    if (settings.model) args.push('--model', settings.model);
    args.push(...settings.agentArgs);
    const { secrets } = settings;
    const route = providerRoute(settings.provider, {});
    const timeoutVariable = this.agent.requestTimeoutVariable;
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
      envAtLeast: this.holdsRequests && timeoutVariable ? { [timeoutVariable]: agentRequestTimeoutMs(settings.apiProxy.retryTimeMs) } : {},
    };
  }

  parseLine(line: Buffer): AgentEvent[] {
    return parseClaudeLine(line);
  }
}
