// Holding agent configuration back at restore: the files that decide what runs (settings, hooks,
// MCP servers, plugins) are remembered before a restore and put back after it, so a checkpoint
// can bring back the agent's work but never its configuration.
import { lstat, mkdir, readFile, readlink, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { AgentDescription } from '../agents/agent-description.js';
import { isSessionData, isWorkTreeAgentConfig } from './agent-config-policy.js';
import { git } from './exec.js';
import { walkTree } from './files.js';

export type HeldFile =
  | { readonly kind: 'file'; readonly content: Buffer; readonly mode: number }
  | { readonly kind: 'symlink'; readonly target: string }
  /** A file too large to keep a copy of (OpenCode's git snapshots): known by its size, time and mode only. */
  | { readonly kind: 'large'; readonly sizeBytes: number; readonly mtimeMs: number; readonly mode: number };
/** Files by path relative to their root. */
export type FileSnapshot = ReadonlyMap<string, HeldFile>;

export interface PutBackStep {
  readonly rel: string;
  /** `write`: the restore changed or removed it, so the earlier version goes back; `delete`: the restore added it. */
  readonly action: 'write' | 'delete';
}

function sameFile(a: HeldFile, b: HeldFile): boolean {
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target;
  if (a.kind === 'file' && b.kind === 'file') return a.mode === b.mode && a.content.equals(b.content);
  if (a.kind === 'large' && b.kind === 'large') return a.mode === b.mode && a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs;
  return false;
}

/**
 * What undoes a restore's changes to the watched files: `before` and `after` are their states
 * around it. A changed file whose content was not kept is deleted rather than left changed. Sorted by path.
 */
export function putBackPlan(before: FileSnapshot, after: FileSnapshot): PutBackStep[] {
  const steps: PutBackStep[] = [];
  for (const [rel, was] of before) {
    const now = after.get(rel);
    if (now === undefined || !sameFile(was, now)) steps.push({ rel, action: was.kind === 'large' ? 'delete' : 'write' });
  }
  for (const rel of after.keys()) if (!before.has(rel)) steps.push({ rel, action: 'delete' });
  return steps.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Configuration files are small; a copy is kept of files up to this size, within this total. */
const KEEP_FILE_BYTES = 1024 * 1024;
const KEEP_TOTAL_BYTES = 64 * 1024 * 1024;

async function snapshot(root: string, rels: Iterable<string>): Promise<Map<string, HeldFile>> {
  const files = new Map<string, HeldFile>();
  let kept = 0;
  for (const rel of rels) {
    const full = path.join(root, rel);
    const info = await lstat(full).catch(() => undefined);
    if (info?.isSymbolicLink()) files.set(rel, { kind: 'symlink', target: await readlink(full) });
    else if (info?.isFile() && info.size <= KEEP_FILE_BYTES && kept + info.size <= KEEP_TOTAL_BYTES) {
      kept += info.size;
      files.set(rel, { kind: 'file', content: await readFile(full), mode: info.mode & 0o777 });
    } else if (info?.isFile()) files.set(rel, { kind: 'large', sizeBytes: info.size, mtimeMs: info.mtimeMs, mode: info.mode & 0o777 });
  }
  return files;
}

async function applyPlan(root: string, before: FileSnapshot, plan: readonly PutBackStep[]): Promise<void> {
  for (const step of plan) {
    const full = path.join(root, step.rel);
    await rm(full, { force: true, recursive: true });
    const was = before.get(step.rel);
    if (step.action === 'delete' || was === undefined) continue;
    await mkdir(path.dirname(full), { recursive: true });
    if (was.kind === 'large') continue;
    if (was.kind === 'symlink') await symlink(was.target, full);
    else {
      await writeFile(full, was.content, { mode: was.mode });
      await chmod(full, was.mode);
    }
  }
}

/** One folder whose configuration files are watched across a restore. */
interface Watched {
  readonly label: string;
  readonly root: string;
  readonly list: () => Promise<string[]>;
}

/** Configuration files of the work tree: tracked, untracked, and the (often ignored) `.claude/` and `.opencode/` folders. */
async function workTreeConfigFiles(workspace: string, workingDirectory: string): Promise<string[]> {
  const listed = (await git(workspace, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).split('\0').filter(Boolean);
  const found = new Set(listed.filter(isWorkTreeAgentConfig));
  const prefix = path.relative(workspace, workingDirectory);
  for (const base of new Set(['', prefix.startsWith('..') ? '' : prefix])) {
    for (const folder of ['.claude', '.opencode']) {
      const rel = path.posix.join(base.split(path.sep).join('/'), folder);
      for (const entry of await walkTree(path.join(workspace, rel)).catch(() => [])) if (entry.kind !== 'directory') found.add(`${rel}/${entry.rel}`);
    }
  }
  return [...found];
}

async function agentStateConfigFiles(stateDir: string, sessionData: (relativePath: string) => boolean): Promise<string[]> {
  const entries = await walkTree(stateDir, sessionData).catch(() => []);
  return entries.filter((entry) => entry.kind !== 'directory').map((entry) => entry.rel);
}

export interface HoldBackOptions {
  readonly workspace: string;
  readonly workingDirectory: string;
  readonly agentStateDir: string;
  readonly agent: Pick<AgentDescription, 'isSessionData'>;
  /** Which paths of the agent state folder are session data, when it is not the folder durable-agent gives the agent (guard mode). */
  readonly sessionData?: ((relativePath: string) => boolean) | undefined;
  /** `restore_agent_config`: let a restore change the work tree's agent configuration. */
  readonly allowWorkTreeConfig: boolean;
}

export interface HeldBack {
  /** Paths put back as they were before the restore, labelled by folder (`work tree: .claude/settings.json`). */
  readonly paths: string[];
}

/**
 * Remembers the agent configuration before a restore; `putBack` afterwards undoes whatever the
 * restore changed in it. The agent state folder's configuration is always held back (a checkpoint
 * carries session data only); the work tree's unless `allowWorkTreeConfig`.
 */
export async function holdBackAgentConfig(options: HoldBackOptions): Promise<{ putBack: () => Promise<HeldBack> }> {
  const watched: Watched[] = [{ label: 'agent state', root: options.agentStateDir, list: () => agentStateConfigFiles(options.agentStateDir, options.sessionData ?? ((rel) => isSessionData(options.agent, rel))) }];
  if (!options.allowWorkTreeConfig) watched.push({ label: 'work tree', root: options.workspace, list: () => workTreeConfigFiles(options.workspace, options.workingDirectory) });
  const before = await Promise.all(watched.map(async (folder) => snapshot(folder.root, await folder.list())));
  return {
    putBack: async () => {
      const paths: string[] = [];
      for (const [index, folder] of watched.entries()) {
        const was = before[index] ?? new Map<string, HeldFile>();
        const now = await snapshot(folder.root, new Set([...(await folder.list()), ...was.keys()]));
        const plan = putBackPlan(was, now);
        await applyPlan(folder.root, was, plan);
        paths.push(...plan.map((step) => `${folder.label}: ${step.rel}`));
      }
      return { paths };
    },
  };
}
