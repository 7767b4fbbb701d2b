import * as core from '@actions/core';
import { RUNNER_CREDENTIAL_VARIABLES } from '../names.js';
import { scrubOwnEnviron } from '../runner/scrub-environ.js';

/**
 * Once the inputs are read: blanks them (the API key among them) and the runner's credentials in
 * this process's /proc/<pid>/environ, which the agent, a descendant running as the same user,
 * could otherwise read for the whole run.
 */
export function hideInputsFromEnviron(): void {
  const credentials = new Set<string>(RUNNER_CREDENTIAL_VARIABLES);
  const result = scrubOwnEnviron((name) => name.startsWith('INPUT_') || credentials.has(name));
  if ('problem' in result) core.info(`Could not hide the inputs from /proc/${process.pid}/environ (${result.problem}); see SECURITY.md.`);
  else core.debug(`Hid ${result.scrubbed.length} variable(s) from /proc/${process.pid}/environ.`);
}
