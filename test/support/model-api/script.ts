import { randomBytes } from 'node:crypto';

/** What the scripted conversation asks for next, derived from the request alone. */
export type ScriptedTurn =
  | { kind: 'step'; step: number; toolName: string; toolUseId: string; command: string; description: string; text: string }
  | { kind: 'final'; step: number; text: string };

export interface ScriptConfig {
  steps: number;
  markFile: string;
  finalText: string;
  /** Steps whose tool call runs for this many seconds, leaving a `step-N-started` mark first. */
  slowSteps: Readonly<Record<number, number>>;
  /** A shell command run after the mark of the given step (`&&`), e.g. to start a background job. */
  extraCommands?: Readonly<Record<number, string>> | undefined;
}

// The step number lives in the id so that a replayed history (resume) tells us how far it got
// without the server having to remember anything between requests.
const SCRIPTED_ID = /^toolu_step_(\d+)_[0-9a-f]+$/;

export function scriptedToolUseId(step: number): string {
  return `toolu_step_${step}_${randomBytes(6).toString('hex')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request's bash tool name as the client spelled it, or undefined when it has none. */
export function bashToolName(body: unknown): string | undefined {
  if (!isRecord(body) || !Array.isArray(body.tools)) return undefined;
  for (const tool of body.tools) {
    if (isRecord(tool) && typeof tool.name === 'string' && tool.name.toLowerCase() === 'bash') return tool.name;
  }
  return undefined;
}

/**
 * Distinct scripted tool_use ids answered by a successful tool_result in the history. Distinct, because a
 * client could repeat a result block (e.g. after its own retry) and that must not skip a step.
 */
export function completedSteps(body: unknown): number {
  if (!isRecord(body) || !Array.isArray(body.messages)) return 0;
  const answered = new Set<string>();
  for (const message of body.messages) {
    if (!isRecord(message) || !Array.isArray(message.content)) continue;
    for (const block of message.content) {
      if (!isRecord(block) || block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
      // A failed or interrupted tool call (a client marks it is_error when it resumes a session
      // that stopped mid-call) did not do the step: like a model would, the script asks again.
      if (block.is_error === true) continue;
      if (SCRIPTED_ID.test(block.tool_use_id)) answered.add(block.tool_use_id);
    }
  }
  return answered.size;
}

function stepCommand(step: number, script: ScriptConfig): string {
  const seconds = script.slowSteps[step];
  const extra = script.extraCommands?.[step];
  const mark = `echo step-${step} >> ${script.markFile}${extra ? ` && ${extra}` : ''}`;
  return seconds === undefined ? mark : `echo step-${step}-started >> ${script.markFile}; sleep ${seconds}; ${mark}`;
}

export function nextTurn(body: unknown, toolName: string, script: ScriptConfig): ScriptedTurn {
  const step = completedSteps(body) + 1;
  if (step > script.steps) return { kind: 'final', step, text: script.finalText };
  return {
    kind: 'step',
    step,
    toolName,
    toolUseId: scriptedToolUseId(step),
    command: stepCommand(step, script),
    description: `Step ${step}`,
    text: `Running step ${step} of ${script.steps}.`,
  };
}
