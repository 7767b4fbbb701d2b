/**
 * Processes the agent started that outlive it (an experiment under `nohup … &`). Every agent child
 * gets RUN_MARKER_VARIABLE in its environment and passes it on to whatever it starts, so after an
 * attempt the survivors are found by that variable, whichever process group or parent they ended
 * up with. Linux only (/proc); elsewhere the list is empty.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const RUN_MARKER_VARIABLE = 'DURABLE_AGENT_RUN';

export interface BackgroundProcess {
  readonly pid: number;
  /** The command line, arguments joined by spaces. */
  readonly command: string;
}

function readProc(procRoot: string, pid: string, file: string): string | undefined {
  try {
    return readFileSync(`${procRoot}/${pid}/${file}`, 'latin1');
  } catch {
    // Gone meanwhile, or not ours to read.
    return undefined;
  }
}

/** Live processes (zombies left out) whose environment holds `DURABLE_AGENT_RUN=<runId>`, oldest pid first. */
export function findRunProcesses(runId: string, procRoot = '/proc'): BackgroundProcess[] {
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return [];
  }
  const marker = `${RUN_MARKER_VARIABLE}=${runId}`;
  const found: BackgroundProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = readProc(procRoot, entry, 'environ');
    if (environ === undefined || !environ.split('\0').includes(marker)) continue;
    const stat = readProc(procRoot, entry, 'stat');
    // The state follows the command name, which may itself hold spaces and parentheses.
    if (stat === undefined || /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue;
    const command = Buffer.from(readProc(procRoot, entry, 'cmdline') ?? '', 'latin1').toString('utf8').split('\0').filter(Boolean).join(' ');
    found.push({ pid: Number(entry), command });
  }
  return found.sort((a, b) => a.pid - b.pid);
}
