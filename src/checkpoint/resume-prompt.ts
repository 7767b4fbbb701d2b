import type { CheckpointManifest } from './manifest.js';

/** How many surviving processes the prompt names, and how much of each command line. */
const MAX_LISTED = 20;
const MAX_COMMAND = 200;

/**
 * Appended to the resume prompt of a process retry: the processes the agent started earlier that
 * are still running (an experiment under `nohup`), so it watches them instead of starting them
 * again. Known secret values are masked; empty when nothing survived.
 */
export function backgroundProcessesNote(processes: readonly { pid: number; command: string }[], secrets: readonly string[] = []): string {
  if (processes.length === 0) return '';
  const mask = (text: string): string => secrets.filter((secret) => secret.length >= 4).reduce((masked, secret) => masked.split(secret).join('***'), text);
  const line = (entry: { pid: number; command: string }): string => {
    const command = mask(entry.command.replace(/\s+/g, ' ').trim());
    return `- pid ${entry.pid}: ${command.length > MAX_COMMAND ? `${command.slice(0, MAX_COMMAND)}…` : command || '(command line unknown)'}`;
  };
  const listed = processes.slice(0, MAX_LISTED).map(line);
  if (processes.length > MAX_LISTED) listed.push(`- … and ${processes.length - MAX_LISTED} more`);
  return (
    '\n\nProcesses you started earlier are still running (they survived the restart; do not start them again, check on them instead):\n' +
    listed.join('\n')
  );
}

function restoredWhat(manifest: CheckpointManifest): string {
  const parts: string[] = [];
  // A workspace left out (a secret in the agent's commits) is not claimed as restored.
  if (manifest.workspace.omitted === null) parts.push('the workspace (your edits, commits and untracked files)');
  if (manifest.areas.some((area) => area.role === 'paths')) parts.push('the experiment outputs');
  if (manifest.areas.some((area) => area.role === 'extra')) parts.push('the files in $DURABLE_AGENT_CHECKPOINT_DIR');
  const what = parts.length > 0 ? parts.join(', ') : 'no files';
  return manifest.workspace.omitted === null ? what : `${what} (not the workspace, which was left out of the checkpoint: the checkout is as this job checked it out)`;
}

/** When the checkpoint was taken during a tool call: which one, and that what it wrote may be partial. */
function interruptedToolNote(manifest: CheckpointManifest): string {
  const tool = manifest.interruptedTool;
  if (manifest.consistency !== 'mid-turn' || tool === undefined) return '';
  return ` The checkpoint was taken while your tool call ${tool.name} (id ${tool.id}) was still running: that call was interrupted and its outputs may be partial; check them before relying on them.`;
}

/** Sent to the restored session of a re-run job: what happened, what is back, and to go on. */
export function rerunResumePrompt(manifest: CheckpointManifest, runAttempt: number): string {
  return (
    `This job stopped before the task was finished and was re-run (run attempt ${runAttempt}). ` +
    `durable-agent restored ${restoredWhat(manifest)} and this conversation from checkpoint ${manifest.sequence}, taken ${manifest.createdAt}. ` +
    'Anything done after that checkpoint is gone.' +
    interruptedToolNote(manifest) +
    ' Check the current state (files, git status and log) and continue the task from there; do not redo finished steps.'
  );
}

/** When the restored session cannot be resumed (another agent, no session): the task again, with the progress noted. */
export function freshAfterRestorePrompt(prompt: string, manifest: CheckpointManifest): string {
  return (
    `${prompt}\n\nNote: this task was started earlier and interrupted. durable-agent restored ${restoredWhat(manifest)} ` +
    `from checkpoint ${manifest.sequence}, taken ${manifest.createdAt}, after ${manifest.attempts.length} earlier attempt(s).` +
    interruptedToolNote(manifest) +
    ' Check the current state first (files, git status and log) and continue from there instead of starting over.'
  );
}

/**
 * `resume_from: branch`: a new run continues the branch's newest session, so the model gets this
 * run's task (not "you were re-run"), with a note that the state it sees was restored.
 */
export function branchRunPrompt(prompt: string, manifest: CheckpointManifest): string {
  return (
    `${prompt}\n\nNote: this is a new run on this branch. durable-agent restored ${restoredWhat(manifest)} and this conversation from checkpoint ${manifest.sequence}, ` +
    `taken ${manifest.createdAt} by an earlier run: the conversation above is what happened then, and the task above is what to do now. ` +
    'Check the current state first (files, git status and log), since the branch may have changed.'
  );
}
