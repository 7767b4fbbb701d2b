import type { CheckpointManifest } from './manifest.js';

function restoredWhat(manifest: CheckpointManifest): string {
  const parts = ['the workspace (your edits, commits and untracked files)'];
  if (manifest.files.some((file) => file.role === 'paths')) parts.push('the experiment outputs');
  if (manifest.files.some((file) => file.role === 'extra')) parts.push('the files in $DURABLE_AGENT_CHECKPOINT_DIR');
  return parts.join(', ');
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
