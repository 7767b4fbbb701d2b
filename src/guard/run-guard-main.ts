import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { AGENTS, agentNamed } from '../agents/registry.js';
import { agentRequestTimeoutMs } from '../proxy/hold-policy.js';
import { knownSecrets } from '../settings/known-secrets.js';
import type { InputName } from '../settings/settings.js';
import { guardDaemonLog, guardStatusFile, guardTempDir } from '../home-layout.js';
import { readRunContext } from '../run-context.js';
import { guardContext, readGuardSettings } from './guard-settings.js';
import { baseUrlOutputs, resumeOutputs } from './agent-home.js';
import { saveGuardState } from './state.js';
import { readStatus, type GuardStatus } from './status.js';
import { errorMessage } from '../error-message.js';

export const GuardOutputs = {
  resumed: 'resumed',
  restoredFrom: 'restored_from',
  sessionId: 'session_id',
  // Besides these, from the agent descriptions: each agent's args input (`claude_args`, `opencode_args`)
  // as an output that resumes its session, and the proxy's URL in an agent's own form (`opencode_base_url`).
  proxyUrl: 'proxy_url',
} as const;

// The daemon must not write the runner's command files: only main and post speak to the runner.
const RUNNER_FILES = ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'];

async function waitForDaemon(statusFile: string, pid: number, exited: () => boolean, timeoutMs: number): Promise<GuardStatus | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await readStatus(statusFile);
    if (status && status.pid === pid && (status.state === 'running' || status.state === 'failed')) return status;
    if (exited()) return readStatus(statusFile);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

/** The guard's main step: start the daemon (it restores and serves), then tell later steps where it is. */
export async function runGuardMain(jobEnv: NodeJS.ProcessEnv): Promise<void> {
  try {
    const run = readRunContext(jobEnv);
    const context = guardContext(run);
    const { runnerTemp } = context;
    const settings = readGuardSettings((name: InputName) => core.getInput(name), context);
    for (const secret of knownSecrets(settings, jobEnv)) core.setSecret(secret);
    await mkdir(guardTempDir(runnerTemp), { recursive: true });
    const statusFile = guardStatusFile(runnerTemp);
    const logFile = guardDaemonLog(runnerTemp);

    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(jobEnv).filter(([name]) => !RUNNER_FILES.includes(name)));
    env.DURABLE_GUARD_STATUS = statusFile;
    const out = openSync(logFile, 'a');
    const daemon = spawn(process.execPath, [path.join(import.meta.dirname, 'guard-daemon.js')], {
      cwd: settings.workingDirectory,
      env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    let exited = false;
    let spawnError: Error | undefined;
    daemon.once('exit', () => (exited = true));
    daemon.once('error', (error) => {
      spawnError = error;
      exited = true;
    });
    daemon.unref();
    const pid = daemon.pid;
    if (pid === undefined) throw new Error(`the guard daemon did not start${spawnError ? `: ${spawnError.message}` : ''}`);

    const status = await core.group('Guard daemon: restore, API retry proxy, checkpoints', async () => {
      const ready = await waitForDaemon(statusFile, pid, () => exited, 15 * 60 * 1000);
      core.info((await readFile(logFile, 'utf8').catch(() => '')).trimEnd());
      return ready;
    });
    saveGuardState({ pid, statusFile, logFile, logOffset: statSync(logFile).size });
    if (!status || status.state !== 'running') {
      core.setFailed(`The guard daemon did not start: ${status?.message ?? spawnError?.message ?? 'no status within 15 minutes'}`);
      return;
    }

    const sessionId = status.resumed ? status.sessionId : undefined;
    core.setOutput(GuardOutputs.resumed, String(status.resumed));
    core.setOutput(GuardOutputs.restoredFrom, status.restoredFrom);
    core.setOutput(GuardOutputs.sessionId, sessionId ?? '');
    const guarded = agentNamed(settings.agent);
    for (const [name, value] of Object.entries(resumeOutputs(AGENTS, guarded.name, sessionId))) core.setOutput(name, value);
    core.setOutput(GuardOutputs.proxyUrl, status.proxyUrl ?? '');
    for (const [name, value] of Object.entries(baseUrlOutputs(AGENTS, status.proxyUrl))) core.setOutput(name, value);
    // Claude Code appends /v1/messages to its base URL; OpenCode's @ai-sdk/anthropic appends only
    // /messages (its ANTHROPIC_BASE_URL includes /v1): the variable is written for the guarded agent.
    for (const [variable, url] of Object.entries(status.baseUrls)) {
      const value = variable === 'ANTHROPIC_BASE_URL' ? `${url}${guarded.baseUrlPath}` : url;
      core.exportVariable(variable, value);
      core.info(`${variable}=${value} for the next steps of this job`);
    }
    // The daemon holds a request through an outage for up to api_retry_time: Claude Code must not
    // give up on it first (a larger value the job set is kept).
    const requestTimeoutMs = agentRequestTimeoutMs(settings.apiProxy.retryTimeMs);
    const timeoutVariable = guarded.requestTimeoutVariable;
    if (timeoutVariable !== undefined && settings.apiProxy.enabled && settings.apiProxy.retryTimeMs > 0 && !(Number(jobEnv[timeoutVariable]) >= requestTimeoutMs)) {
      core.exportVariable(timeoutVariable, String(requestTimeoutMs));
    }
    if (sessionId) core.info(`Restored session ${sessionId}: pass ${guarded.inputs.args} from this step's outputs to resume it.`);
  } catch (error) {
    core.setFailed(errorMessage(error));
  }
}
