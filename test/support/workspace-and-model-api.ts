import { afterEach, beforeEach } from 'vitest';
import { startModelApi, type ModelApi, type ModelApiOptions } from './model-api.js';
import { createWorkspace, type Workspace } from './workspace.js';

export interface WorkspaceAndModelApi {
  /** This test's workspace, fresh for each test. */
  readonly ws: Workspace;
  /** The model API this test started (or the one `options.api` starts for every test). */
  readonly api: ModelApi;
  /** Starts this test's model API; a second call replaces the first. */
  startApi(options: ModelApiOptions): Promise<ModelApi>;
}

/**
 * The set-up most end-to-end tests share: a fresh workspace for each test and a fake model API,
 * both closed after it (the API first, as the agent talks to it from the workspace). Registers its
 * own hooks, so call it in the describe block (or at the top of the file) that uses it; hooks the
 * block registers after it run their teardown before it.
 */
export function useWorkspaceAndModelApi(options: { api?: ModelApiOptions } = {}): WorkspaceAndModelApi {
  let ws: Workspace | undefined;
  let api: ModelApi | undefined;
  beforeEach(async () => {
    ws = await createWorkspace();
    if (options.api) api = await startModelApi(options.api);
  });
  afterEach(async () => {
    await api?.close();
    api = undefined;
    await ws?.dispose();
    ws = undefined;
  });
  return {
    get ws(): Workspace {
      if (ws === undefined) throw new Error('the workspace exists only while a test runs');
      return ws;
    },
    get api(): ModelApi {
      if (api === undefined) throw new Error('no model API was started in this test');
      return api;
    },
    async startApi(apiOptions: ModelApiOptions): Promise<ModelApi> {
      await api?.close();
      api = await startModelApi(apiOptions);
      return api;
    },
  };
}
