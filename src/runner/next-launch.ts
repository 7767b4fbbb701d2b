import type { LaunchRequest } from '../agents/adapter.js';
import type { Classification } from './classify.js';

export interface PreviousAttempt {
  readonly mode: LaunchRequest['mode'];
  readonly sessionId: string | undefined;
  readonly classification: Classification;
}

export interface LaunchPlan {
  readonly request: LaunchRequest;
  /** Why this launch differs from a plain resume, for the log and the outputs. */
  readonly note: string | undefined;
}

export const DEFAULT_RESUME_PROMPT =
  'The previous run of this session was interrupted by a transient error (for example the model API failing or the process being stopped). ' +
  'Nothing in the workspace was reset. Check what is already done (files, git status, earlier tool results) and continue the task from where it stopped; do not redo finished steps.';

export const FRESH_AFTER_LOST_SESSION_NOTE =
  'Note: an earlier attempt at this task was interrupted and its conversation could not be resumed. ' +
  'Work may already be present in the workspace: check the current state (files, git status and log) first and continue from there instead of starting over.';

/**
 * What to launch after a failed attempt: the same session with the continuation prompt, or, when
 * that session cannot be resumed (never started, not found), a fresh session with the original
 * prompt and a note that work may already be in the workspace.
 */
export function nextLaunch(options: {
  previous: PreviousAttempt;
  prompt: string;
  resumePrompt: string;
  newSessionId: () => string | undefined;
}): LaunchPlan {
  const { previous } = options;
  const lost = previous.classification.kind === 'session_lost';
  if (previous.sessionId && !lost) {
    return { request: { mode: 'resume', prompt: options.resumePrompt, sessionId: previous.sessionId }, note: undefined };
  }
  const note = lost
    ? `session ${previous.sessionId ?? ''} could not be resumed (${previous.classification.message}); starting a fresh session`
    : 'the agent never reported a session; starting a fresh session';
  return {
    request: { mode: 'fresh', prompt: `${options.prompt}\n\n${FRESH_AFTER_LOST_SESSION_NOTE}`, sessionId: options.newSessionId() },
    note,
  };
}
