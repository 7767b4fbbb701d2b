// What the main step hands to its post step through GITHUB_STATE: every state key, each saved and
// loaded in one place (like actions/cache's StateProvider), so that the two steps cannot disagree
// on a name or a format.
import * as core from '@actions/core';
import { z } from 'zod';
import { States } from '../names.js';
import { attemptHistorySchema } from '../runner/attempt-entry.js';
import type { CheckpointState } from '../pipeline.js';
import { parseJsonAs } from '../parse-json.js';

/** Where state goes: GITHUB_STATE through @actions/core in the action, a map in tests. */
export interface StateProvider {
  save(name: string, value: string): void;
  /** The saved value; '' when none was saved. */
  get(name: string): string;
}

export function actionsStateProvider(): StateProvider {
  return { save: (name, value) => core.saveState(name, value), get: (name) => core.getState(name) };
}

/** What the post step learns of main. */
export interface MainState {
  readonly started: boolean;
  readonly finished: boolean;
  /** Where main kept the agent's state and its files; undefined before settings were read. */
  readonly homeDir: string | undefined;
  /** What the last checkpoint needs; undefined when main stopped before checkpoints were set up. */
  readonly checkpoint: CheckpointState | undefined;
}

export function saveMainStarted(state: StateProvider): void {
  state.save(States.mainStarted, 'true');
}

export function saveMainFinished(state: StateProvider): void {
  state.save(States.mainFinished, 'true');
}

export function saveHomeDir(state: StateProvider, homeDir: string): void {
  state.save(States.stateDir, homeDir);
}

/** The newest entries are enough to tell the story; the state file is not meant for bulk. */
const HISTORY_LIMIT = 100;

const historySchema = z.object({
  attempts: attemptHistorySchema,
  totals: z.object({ costUsd: z.number().nonnegative(), turns: z.number().int().nonnegative() }),
});

export function saveCheckpointState(state: StateProvider, checkpoint: CheckpointState): void {
  state.save(States.lastSequence, String(checkpoint.lastSequence));
  state.save(States.sessionId, checkpoint.sessionId ?? '');
  state.save(States.baseCommit, checkpoint.baseCommit);
  const history: z.input<typeof historySchema> = { attempts: checkpoint.attempts.slice(-HISTORY_LIMIT), totals: checkpoint.totals };
  state.save(States.history, JSON.stringify(history));
}

export function loadMainState(state: StateProvider): MainState {
  const homeDir = state.get(States.stateDir);
  return {
    started: state.get(States.mainStarted) === 'true',
    finished: state.get(States.mainFinished) === 'true',
    homeDir: homeDir === '' ? undefined : homeDir,
    checkpoint: loadCheckpointState(state),
  };
}

function loadCheckpointState(state: StateProvider): CheckpointState | undefined {
  const baseCommit = state.get(States.baseCommit);
  if (baseCommit === '') return undefined;
  const sequence = Number(state.get(States.lastSequence));
  // A missing or damaged history leaves it empty: the checkpoint is still worth taking.
  const history = readHistory(state.get(States.history)) ?? { attempts: [], totals: { costUsd: 0, turns: 0 } };
  return {
    lastSequence: Number.isSafeInteger(sequence) && sequence > 0 ? sequence : 0,
    sessionId: state.get(States.sessionId) || undefined,
    baseCommit,
    attempts: history.attempts,
    totals: history.totals,
  };
}

function readHistory(text: string): z.infer<typeof historySchema> | undefined {
  return text === '' ? undefined : parseJsonAs(historySchema, text);
}
