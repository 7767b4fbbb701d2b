import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { AdapterContext, AgentAdapter, AgentLaunch, LaunchRequest } from './adapter.js';
import type { AgentDescription } from './agent-description.js';
import { isRecord, parseAgentLine, parseJsonLine, stringField, type AgentEvent, type LineReader } from './events.js';
import { skimOpenCodePart } from './opencode-part-skim.js';

export const OPENCODE_PROVIDER_ID = 'durable';
export const OPENCODE_DEFAULT_MODEL = 'claude-sonnet-4-5';
const DEFAULT_ANTHROPIC_URL = 'https://api.anthropic.com';

// Only the lines the classifier acts on (a turn's end, an error) go through a schema; the rest are
// read field by field for the transcript after a cheap look at `type`.
const stepFinishLine = z.object({
  type: z.literal('step_finish'),
  part: z.object({ reason: z.string().optional(), cost: z.number().optional() }).loose(),
}).loose();
const errorLine = z.object({
  type: z.literal('error'),
  error: z.object({
    name: z.string().optional(),
    data: z.object({
      message: z.string().optional(),
      statusCode: z.number().optional(),
      isRetryable: z.boolean().optional(),
      responseBody: z.string().optional(),
    }).loose().optional(),
  }).loose(),
}).loose();

/**
 * The line types the runner acts on (any other is passed over unparsed; it still reaches the
 * execution file); text and tool lines, most of the bytes, are read from their bytes.
 */
const OPENCODE_LINES: LineReader = {
  acted: new Set(['step_start', 'text', 'tool_use', 'step_finish', 'error']),
  toEvents: (value) => openCodeEvents(value),
  fromBytes: (type, line) => (type === 'text' || type === 'tool_use' ? skimOpenCodePart(type, line) : undefined),
};

/** One line of OpenCode's JSON output (its bytes without the line end, or its text) to events. */
export function parseOpenCodeLine(line: Buffer | string): AgentEvent[] {
  return parseAgentLine(line, OPENCODE_LINES);
}

/** One parsed OpenCode line to events: a cheap look at `type` first, a schema only where it matters. */
export function openCodeEvents(value: unknown): AgentEvent[] {
  if (!isRecord(value)) return [{ type: 'other', kind: 'unknown' }];
  const type = stringField(value, 'type');
  if (type === undefined) return [{ type: 'other', kind: 'unknown' }];
  const events: AgentEvent[] = [];

  switch (type) {
    case 'step_start': {
      const sessionId = stringField(value, 'sessionID');
      if (sessionId) events.push({ type: 'init', sessionId });
      break;
    }
    case 'text': {
      const text = isRecord(value.part) ? stringField(value.part, 'text') : undefined;
      if (text !== undefined) events.push({ type: 'text', text });
      break;
    }
    case 'tool_use': {
      const part = value.part;
      if (!isRecord(part) || !isRecord(part.state)) break;
      const tool = stringField(part, 'tool');
      const callId = stringField(part, 'callID');
      const status = stringField(part.state, 'status');
      if (tool === undefined || callId === undefined || status === undefined) break;
      events.push({ type: 'tool_call', id: callId, name: tool, input: part.state.input });
      if (status === 'completed' || status === 'error') {
        events.push({
          type: 'tool_result',
          id: callId,
          name: tool,
          ok: status === 'completed',
          output: stringField(part.state, 'output') ?? stringField(part.state, 'error') ?? '',
        });
      }
      break;
    }
    case 'step_finish': {
      const step = stepFinishLine.safeParse(value);
      if (step.success) events.push({ type: 'turn', reason: step.data.part.reason ?? 'unknown', costUsd: step.data.part.cost });
      break;
    }
    case 'error': {
      const error = errorLine.safeParse(value);
      if (!error.success) {
        events.push({ type: 'error', message: 'unreadable error event' });
        break;
      }
      const { name, data } = error.data.error;
      const apiErrorType = messagesApiErrorType(data?.responseBody) ?? messagesApiErrorType(data?.message);
      events.push({
        type: 'error',
        message: data?.message ?? name ?? 'error',
        status: data?.statusCode ?? null,
        errorType: name,
        retryable: data?.isRetryable,
        ...(apiErrorType === undefined ? {} : { apiErrorType }),
      });
      break;
    }
  }
  if (events.length === 0) events.push({ type: 'other', kind: type });
  return events;
}

const wrappedApiError = z.object({ type: z.literal('error'), error: z.object({ type: z.string() }).loose() }).loose();
const bareApiError = z.object({ type: z.string().regex(/^[a-z_]+_error$/) }).loose();

/**
 * The Messages API's error type in an error event's body or message. An error the API sent inside
 * a 200 stream (as the proxy's outage hold does with a 401) reaches OpenCode's event as status 500
 * with the API's error object as its body: the type is the only trace of what it really was.
 */
function messagesApiErrorType(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const json = parseJsonLine(text);
  if (!json.ok) return undefined;
  const wrapped = wrappedApiError.safeParse(json.value);
  if (wrapped.success) return wrapped.data.error.type;
  const bare = bareApiError.safeParse(json.value);
  return bare.success ? bare.data.type : undefined;
}

/**
 * OpenCode's config for the Anthropic Messages API at a base URL of our choosing (the retry proxy,
 * a user's gateway, or api.anthropic.com). A custom provider id works offline; the built-in
 * `anthropic` provider needs OpenCode's online model catalog. The key stays in the environment.
 */
export function openCodeConfig(options: { baseUrl: string; baseUrlPath: string; model: string }): object {
  return {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    model: `${OPENCODE_PROVIDER_ID}/${options.model}`,
    small_model: `${OPENCODE_PROVIDER_ID}/${options.model}`,
    // In `opencode run` nobody answers a permission prompt: it is rejected and the run ends as if
    // done. A CI agent is allowed to work; a project's own opencode.json still takes precedence.
    permission: { bash: 'allow', edit: 'allow' },
    provider: {
      [OPENCODE_PROVIDER_ID]: {
        npm: '@ai-sdk/anthropic',
        name: 'Anthropic (durable-agent)',
        options: { baseURL: `${options.baseUrl.replace(/\/+$/, '')}${options.baseUrlPath}`, apiKey: '{env:ANTHROPIC_API_KEY}' },
        models: {
          [options.model]: { name: options.model, tool_call: true, limit: { context: 200000, output: 8192 } },
        },
      },
    },
  };
}

export class OpenCodeAdapter implements AgentAdapter {
  /** XDG_DATA_HOME: OpenCode keeps its SQLite session store in `opencode/` below it. */
  readonly stateDir: string;
  private readonly configHome: string;
  private readonly cacheHome: string;
  private readonly stateHome: string;

  constructor(
    private readonly context: AdapterContext,
    readonly agent: AgentDescription,
  ) {
    const folders = context.settings.home.opencode;
    this.stateDir = folders.data;
    this.configHome = folders.config;
    this.cacheHome = folders.cache;
    this.stateHome = folders.state;
  }

  private get configFile(): string {
    return path.join(this.configHome, 'opencode', 'opencode.json');
  }

  async prepare(): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    await mkdir(path.dirname(this.configFile), { recursive: true });
    await mkdir(this.cacheHome, { recursive: true });
    const baseUrl = this.context.apiBaseUrl ?? this.context.jobBaseUrl ?? DEFAULT_ANTHROPIC_URL;
    const model = this.context.settings.model ?? OPENCODE_DEFAULT_MODEL;
    await writeFile(this.configFile, JSON.stringify(openCodeConfig({ baseUrl, baseUrlPath: this.agent.baseUrlPath, model }), null, 2) + '\n');
  }

  newSessionId(): undefined {
    return undefined;
  }

  launch(request: LaunchRequest): AgentLaunch {
    const { settings } = this.context;
    const args = ['run', '--format', 'json'];
    if (request.mode === 'resume' && request.sessionId) args.push(...this.agent.resumeArgs(request.sessionId));
    // A title skips the title-generation request and names the session for people looking later.
    else args.push('--title', 'durable-agent');
    args.push(...settings.agentArgs, request.prompt);
    return {
      args,
      env: {
        XDG_DATA_HOME: this.stateDir,
        XDG_CONFIG_HOME: this.configHome,
        XDG_CACHE_HOME: this.cacheHome,
        XDG_STATE_HOME: this.stateHome,
        OPENCODE_CONFIG: this.configFile,
        ANTHROPIC_API_KEY: settings.secrets.anthropicApiKey,
        GITHUB_TOKEN: settings.secrets.githubToken,
        GH_TOKEN: settings.secrets.githubToken,
        // OpenCode reads $PWD before the spawn's cwd.
        PWD: settings.workingDirectory,
        OPENCODE_DISABLE_AUTOUPDATE: '1',
      },
      envDefaults: { OPENCODE_DISABLE_MODELS_FETCH: '1' },
    };
  }

  parseLine(line: Buffer): AgentEvent[] {
    return parseOpenCodeLine(line);
  }
}
