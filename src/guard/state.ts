import * as core from '@actions/core';

// What the guard's main step hands to its post step (through GITHUB_STATE), in one place.
const Keys = {
  pid: 'guard_daemon_pid',
  statusFile: 'guard_status_file',
  logFile: 'guard_daemon_log',
  logOffset: 'guard_daemon_log_offset',
} as const;

export interface GuardState {
  readonly pid: number;
  readonly statusFile: string;
  readonly logFile: string;
  /** Bytes of the daemon's log main already showed. */
  readonly logOffset: number;
}

export function saveGuardState(state: GuardState): void {
  core.saveState(Keys.pid, String(state.pid));
  core.saveState(Keys.statusFile, state.statusFile);
  core.saveState(Keys.logFile, state.logFile);
  core.saveState(Keys.logOffset, String(state.logOffset));
}

export function loadGuardState(): GuardState | undefined {
  const pid = Number(core.getState(Keys.pid));
  const statusFile = core.getState(Keys.statusFile);
  if (!Number.isInteger(pid) || pid <= 0 || !statusFile) return undefined;
  return { pid, statusFile, logFile: core.getState(Keys.logFile), logOffset: Number(core.getState(Keys.logOffset)) || 0 };
}
