import { afterEach, beforeEach } from 'vitest';
import { startActionsEmulator, type ActionsEmulator } from './actions-emulator.js';
import type { ModelApiOptions } from './model-api.js';
import { freshRunner, makeOrigin } from './rerun.js';
import { useWorkspaceAndModelApi, type WorkspaceAndModelApi } from './workspace-and-model-api.js';

export interface ActionsStoresJob extends WorkspaceAndModelApi {
  /** The emulator of the Actions services (cache, artifacts) the real clients talk to. */
  readonly actions: ActionsEmulator;
  /** A bare clone of the workspace's repository: each fresh runner checks it out. */
  readonly origin: string;
  /** This test's own run, so no two tests (or two checkouts testing at once) share a lineage. */
  readonly runId: number;
  /** The runner's variables for the Actions services, for one attempt of this run's job. */
  actionsEnv(attempt: number): Record<string, string>;
  /** A fresh runner for one job attempt: a new checkout of `origin` and its own temp folder (returned). */
  freshRunner(attempt: number): Promise<string>;
}

/**
 * The set-up of the tests that save to the Actions cache and artifacts through the real clients:
 * a workspace with an origin to re-check out, a model API started with `api`, and the Actions
 * emulator, all fresh for each test and closed after it. Call it in the describe block that uses it.
 */
export function useActionsStoresJob(options: { api: ModelApiOptions }): ActionsStoresJob {
  const base = useWorkspaceAndModelApi(options);
  let actions: ActionsEmulator | undefined;
  let origin: string | undefined;
  let runId = 0;
  beforeEach(async () => {
    runId = 100_000 + Math.floor(Math.random() * 900_000);
    origin = await makeOrigin(base.ws);
    actions = await startActionsEmulator({ repository: 'octo/demo' });
  });
  afterEach(async () => {
    await actions?.close();
    actions = undefined;
    origin = undefined;
  });
  const during = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} exists only while a test runs`);
    return value;
  };
  return {
    get ws() {
      return base.ws;
    },
    get api() {
      return base.api;
    },
    startApi: (apiOptions) => base.startApi(apiOptions),
    get actions(): ActionsEmulator {
      return during(actions, 'the Actions emulator');
    },
    get origin(): string {
      return during(origin, 'the origin repository');
    },
    get runId(): number {
      return runId;
    },
    actionsEnv(attempt: number): Record<string, string> {
      return during(actions, 'the Actions emulator').clientEnv({ runId, attempt, workflow: 'agent', job: 'agent' });
    },
    freshRunner(attempt: number): Promise<string> {
      return freshRunner(base.ws, during(origin, 'the origin repository'), attempt);
    },
  };
}
