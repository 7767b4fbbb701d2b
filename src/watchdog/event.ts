/**
 * Which run the watchdog looks at: the one named explicitly (CLI `--run-id`, action input
 * `run_id`), else the `workflow_run` that triggered this workflow, read from the event payload
 * GitHub writes to `GITHUB_EVENT_PATH`.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { errorMessage } from '../error-message.js';

export interface WatchedRunRef {
  readonly runId: number;
  /** `owner/name` of the run's repository, when the event says. */
  readonly repository: string | undefined;
  readonly workflowName: string | undefined;
  readonly workflowPath: string | undefined;
  /** The run's conclusion when the event was sent; undefined for an explicit run id. */
  readonly conclusion: string | null | undefined;
  readonly runAttempt: number | undefined;
}

export class WatchdogEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WatchdogEventError';
  }
}

const WorkflowRunEventSchema = z
  .object({
    action: z.string().optional(),
    workflow_run: z
      .object({
        id: z.number().int().positive(),
        name: z.string().nullish(),
        path: z.string().nullish(),
        conclusion: z.string().nullish(),
        run_attempt: z.number().int().positive().nullish(),
      })
      .loose(),
    workflow: z.object({ name: z.string().nullish(), path: z.string().nullish() }).loose().nullish(),
    repository: z.object({ full_name: z.string() }).loose().nullish(),
  })
  .loose();

/** The run a `workflow_run` event is about; throws WatchdogEventError for any other payload. */
export function parseWorkflowRunEvent(payload: unknown): WatchedRunRef {
  const parsed = WorkflowRunEventSchema.safeParse(payload);
  if (!parsed.success) {
    throw new WatchdogEventError(
      `the event payload is not a workflow_run event (watchdog mode runs on 'on: workflow_run: types: [completed]', or give it a run id): ${z.prettifyError(parsed.error)}`,
    );
  }
  const { workflow_run: run, workflow, repository } = parsed.data;
  return {
    runId: run.id,
    repository: repository?.full_name,
    workflowName: run.name ?? workflow?.name ?? undefined,
    workflowPath: run.path ?? workflow?.path ?? undefined,
    conclusion: run.conclusion ?? null,
    runAttempt: run.run_attempt ?? undefined,
  };
}

export async function readWorkflowRunEvent(eventPath: string): Promise<WatchedRunRef> {
  let text: string;
  try {
    text = await readFile(eventPath, 'utf8');
  } catch (error) {
    throw new WatchdogEventError(`cannot read the event payload ${eventPath}: ${errorMessage(error)}`, { cause: error });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new WatchdogEventError(`the event payload ${eventPath} is not JSON`, { cause: error });
  }
  return parseWorkflowRunEvent(payload);
}

export interface ResolveWatchedRunOptions {
  /** An explicit run id wins over the event; the event file is then not read. */
  readonly runId?: number | undefined;
  /** Usually the run context's eventPath (GITHUB_EVENT_PATH). */
  readonly eventPath?: string | undefined;
}

export async function resolveWatchedRun(options: ResolveWatchedRunOptions): Promise<WatchedRunRef> {
  if (options.runId !== undefined) {
    if (!Number.isSafeInteger(options.runId) || options.runId <= 0) throw new WatchdogEventError(`run id must be a positive integer, got ${options.runId}`);
    return { runId: options.runId, repository: undefined, workflowName: undefined, workflowPath: undefined, conclusion: undefined, runAttempt: undefined };
  }
  if (options.eventPath === undefined || options.eventPath === '') {
    throw new WatchdogEventError('no run to watch: give a run id, or run on a workflow_run event (GITHUB_EVENT_PATH is not set)');
  }
  return readWorkflowRunEvent(options.eventPath);
}
