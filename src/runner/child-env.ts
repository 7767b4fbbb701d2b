import { RUNNER_COMMAND_FILE_VARIABLES, RUNNER_CREDENTIAL_VARIABLES } from '../names.js';

/**
 * The agent's environment: the step's own, less the runner's credentials, its command files
 * (GITHUB_ENV and the like: writing them would reach later steps), the action's inputs (INPUT_*
 * holds secrets such as the API key in clear) and the post step's saved state (STATE_*), then
 * `defaults` where the step set nothing, then `overrides` (an undefined value leaves the variable
 * as it is), then `atLeast`: numeric variables raised to a floor unless the step set a larger
 * whole number.
 */
export function childEnvironment(
  base: NodeJS.ProcessEnv,
  overrides: Readonly<Record<string, string | undefined>>,
  defaults: Readonly<Record<string, string>> = {},
  atLeast: Readonly<Record<string, number>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  const dropped = new Set<string>([...RUNNER_CREDENTIAL_VARIABLES, ...RUNNER_COMMAND_FILE_VARIABLES]);
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || dropped.has(name) || name.startsWith('INPUT_') || name.startsWith('STATE_')) continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(defaults)) {
    env[name] ??= value;
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) env[name] = value;
  }
  for (const [name, floor] of Object.entries(atLeast)) {
    const given = env[name]?.trim();
    if (given === undefined || !/^\d+$/.test(given) || Number(given) < floor) env[name] = String(floor);
  }
  return env;
}
