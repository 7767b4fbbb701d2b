import { existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as core from '@actions/core';
import { z } from 'zod';
import { messagesOf } from '../report/execution-array.js';
import { failureMarker } from '../report/failure-marker.js';
import { formatBytes, formatDuration } from '../format.js';
import { checkpointFact } from '../report/summary.js';
import { claudeCodeActionExecutionFile } from '../home-layout.js';
import { readRunContext } from '../run-context.js';
import { guardContext } from './guard-settings.js';
import { loadGuardState, type GuardState } from './state.js';
import { readStatus, type GuardStatus } from './status.js';
import { guardVerdict, type AgentResultEvidence } from './verdict.js';
import { errorMessage } from '../error-message.js';

/** Alive, not a zombie, and still our daemon (a pid can be reused once it is gone). */
function isOurDaemon(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('guard-daemon');
  } catch {
    // No /proc (macOS): signal 0 tells whether the pid lives.
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isOurDaemon(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

async function stopDaemon(state: GuardState): Promise<void> {
  if (!isOurDaemon(state.pid)) {
    core.warning('The guard daemon was no longer running (killed with the runner?): no final checkpoint from it.');
    return;
  }
  process.kill(state.pid, 'SIGTERM');
  // The final checkpoint may upload for a while; a cancelled job still gets its post step.
  if (await waitGone(state.pid, 10 * 60 * 1000)) return;
  core.warning('The guard daemon did not stop within 10 minutes: killed.');
  process.kill(state.pid, 'SIGKILL');
  await waitGone(state.pid, 10_000);
}

async function showDaemonLog(state: GuardState): Promise<void> {
  if (!state.logFile || !existsSync(state.logFile)) return;
  const file = await open(state.logFile, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.max(0, size - state.logOffset);
    const buffer = Buffer.alloc(Math.min(length, 1024 * 1024));
    await file.read(buffer, 0, buffer.length, size - buffer.length);
    const text = buffer.toString('utf8').trimEnd();
    if (text) core.info(text);
  } finally {
    await file.close();
  }
}

const resultMessage = z.object({
  type: z.literal('result'),
  is_error: z.boolean().optional(),
  subtype: z.string().optional(),
  api_error_status: z.number().nullable().optional(),
  terminal_reason: z.string().optional(),
});

/** claude-code-action's final result, when it ran in this job and left its execution file. */
function claudeCodeActionResult(runnerTemp: string): AgentResultEvidence | undefined {
  const file = claudeCodeActionExecutionFile(runnerTemp);
  if (!existsSync(file)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const lines = Array.isArray(parsed) ? parsed.map((entry) => JSON.stringify(entry)) : [];
    const last = [...messagesOf(lines)].reverse().map((entry) => resultMessage.safeParse(entry)).find((entry) => entry.success);
    if (!last?.success) return undefined;
    return { isError: last.data.is_error ?? last.data.subtype !== 'success', apiErrorStatus: last.data.api_error_status, terminalReason: last.data.terminal_reason };
  } catch {
    return undefined;
  }
}

function summary(status: GuardStatus | undefined): string {
  const lines = ['### durable-agent guard', ''];
  if (!status) return [...lines, 'The guard daemon left no status.'].join('\n');
  const proxy = status.proxy;
  if (proxy) {
    lines.push(
      `- API retry proxy: ${proxy.requests} model requests, ${proxy.retriedRequests} retried (${proxy.retries} retries, ${proxy.recovered} recovered, ${formatDuration(proxy.waitMs)} waiting); ${proxy.passedOnFailures} failures handed to the agent after retries.`,
    );
    const failures = Object.entries(proxy.failuresByStatus).map(([code, count]) => `${code} × ${count}`);
    if (failures.length) lines.push(`- Upstream failures: ${failures.join(', ')}`);
    if (proxy.holds.length > 0) {
      lines.push(`- Requests held through an outage: ${proxy.holds.length}`, '', '| started | held | upstream tries | final status |', '|---|---|---|---|');
      for (const hold of proxy.holds) lines.push(`| ${new Date(hold.startedAt).toISOString()} | ${formatDuration(hold.durationMs)} | ${hold.tries} | ${hold.finalStatus} |`);
      lines.push('');
    }
  }
  if (status.resumed) lines.push(`- Restored checkpoint ${status.restoredFrom}${status.sessionId ? ` with session ${status.sessionId}` : ''}.`);
  const saved = status.checkpoints.filter((entry) => entry.kind === 'saved');
  if (status.checkpointMode) lines.push(`- ${checkpointFact(status.checkpointMode, status.checkpoints)}.`);
  lines.push(`- Checkpoints saved: ${new Set(saved.map((entry) => entry.sequence)).size}${status.checkpointKey ? ` (newest ${status.checkpointKey})` : ''}.`);
  if (saved.length) {
    lines.push('', '| sequence | at | size | store | taken |', '|---|---|---|---|---|');
    for (const entry of saved) lines.push(`| ${entry.sequence} | ${entry.at} | ${formatBytes(entry.sizeBytes)} | ${entry.store} | ${entry.consistency ?? ''} |`);
  }
  return lines.join('\n');
}

/** The guard's post step: final checkpoint, daemon stopped, summary, watchdog marker. Never fails the job. */
export async function runGuardPost(env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const state = loadGuardState();
    if (!state) {
      core.info('The guard did not start a daemon in this job: nothing to do.');
      return;
    }
    await core.group('Guard: final checkpoint', async () => {
      await stopDaemon(state);
      await showDaemonLog(state);
    });
    const status = await readStatus(state.statusFile);
    try {
      await core.summary.addRaw(summary(status)).write();
    } catch (error) {
      core.warning(`Could not write the job summary: ${errorMessage(error)}`);
    }
    const verdict = guardVerdict({
      jobStatus: core.getInput('job_status'),
      agentResult: claudeCodeActionResult(guardContext(readRunContext(env)).runnerTemp),
      proxy: status?.proxy,
    });
    // An annotation on the failed job is what the watchdog reads.
    if (verdict) core.error(`The agent step failed on the model API (${verdict.reason}) ${failureMarker(verdict.kind, verdict.reason)}`);
  } catch (error) {
    core.warning(`guard post step: ${errorMessage(error)}`);
  }
}
