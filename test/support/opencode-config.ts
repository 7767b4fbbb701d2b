import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface OpenCodeConfigOptions {
  /** Provider `headerTimeout` / `chunkTimeout` in ms; OpenCode's default of 300 s would hide a stall for minutes. */
  timeoutMs?: number;
}

/**
 * Writes an OpenCode config that talks to the local model API through a custom provider
 * (the built-in `anthropic` id needs the online model catalog) and allows bash and edits
 * without prompting (an unanswered prompt is auto-rejected in `run`). Returns the file path,
 * for OPENCODE_CONFIG. `baseUrl` is the model API's root (`/v1` is appended unless present).
 */
export async function writeOpenCodeConfig(dir: string, baseUrl: string, apiKey: string, options: OpenCodeConfigOptions = {}): Promise<string> {
  const root = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const providerOptions: Record<string, unknown> = { baseURL: `${root}/v1`, apiKey };
  if (options.timeoutMs !== undefined) {
    providerOptions.headerTimeout = options.timeoutMs;
    providerOptions.chunkTimeout = options.timeoutMs;
  }
  const config = {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    model: 'local/claude',
    small_model: 'local/claude',
    permission: { bash: 'allow', edit: 'allow' },
    provider: {
      local: {
        npm: '@ai-sdk/anthropic',
        name: 'Local model API',
        options: providerOptions,
        models: {
          claude: { name: 'Claude', tool_call: true, limit: { context: 200000, output: 8192 } },
        },
      },
    },
  };
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'opencode.json');
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/**
 * Environment for an offline `opencode` run whose state lives under `stateDir`. Add PATH, HOME
 * and PWD (OpenCode takes $PWD before the spawn cwd). `npm_config_offline` matters: every run
 * installs `@opencode-ai/plugin` into the config dir in the background from registry.npmjs.org;
 * offline it fails at once with a logged warning and the run is unaffected.
 */
export function openCodeEnv(stateDir: string, configPath: string): Record<string, string> {
  return {
    XDG_DATA_HOME: join(stateDir, 'data'),
    XDG_CONFIG_HOME: join(stateDir, 'config'),
    XDG_CACHE_HOME: join(stateDir, 'cache'),
    XDG_STATE_HOME: join(stateDir, 'state'),
    OPENCODE_CONFIG: configPath,
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    npm_config_offline: 'true',
  };
}
