// Creating a checkpoint folder, and restoring one (or the newest valid one of a store).
import { lstat, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { copyAgentState } from './agent-state.js';
import { createArchive, destinationProblem, extractArchive, readArchiveEntries } from './archive.js';
import { CheckpointRejected } from './errors.js';
import { sha256File, walkTree } from './files.js';
import {
  CHECKPOINT_FILES,
  MANIFEST_FILE,
  fileMismatches,
  fileOfRole,
  manifestSchema,
  parseManifest,
  serializeManifest,
  type CheckpointManifest,
  type ExcludedFile,
  type FileRole,
  type ManifestFile,
} from './manifest.js';
import { expandCheckpointPaths } from './paths-archive.js';
import { archiveEntriesProblem, isInside, parseCheckpointPaths, staticRoot } from './safe-paths.js';
import { containsSecret, redactSecrets, secretNeedles } from './secret-scan.js';
import type { CheckpointRef, Lineage, Store } from './store.js';
import { checkWorkspace, restoreWorkspace, snapshotWorkspace, type WorkspaceOutcome } from './workspace-snapshot.js';

export interface CreateCheckpointOptions {
  /** The checkout the agent works in (GITHUB_WORKSPACE). */
  readonly workspace: string;
  /** The commit the checkout started from (GITHUB_SHA, or HEAD before the agent ran). */
  readonly baseCommit: string;
  /** A folder (RUNNER_TEMP) in which the checkpoint folder and scratch space are created. */
  readonly stagingDir: string;
  readonly lineage: Lineage;
  readonly sequence: number;
  /** GITHUB_RUN_ATTEMPT. */
  readonly attempt: number;
  readonly agent: string;
  readonly sessionId?: string | undefined;
  /** Newline-separated globs relative to the workspace (`checkpoint_paths`). */
  readonly checkpointPaths?: string | undefined;
  /** A folder saved whole (the agent's DURABLE_AGENT_CHECKPOINT_DIR). */
  readonly extraDir?: string | undefined;
  /** The agent's state folder (CLAUDE_CONFIG_DIR, OpenCode's XDG_DATA_HOME). */
  readonly agentStateDir?: string | undefined;
  /** More paths (globs) to leave out of the agent state; credential files always are. */
  readonly agentStateExclude?: readonly string[] | undefined;
  /** Every secret value the step knows: no file holding one is saved. */
  readonly secrets?: readonly string[] | undefined;
  readonly attempts?: readonly Record<string, unknown>[] | undefined;
  readonly totals?: { readonly costUsd: number; readonly turns: number } | undefined;
  readonly createdAt?: Date | undefined;
}

export interface CreatedCheckpoint {
  /** A fresh folder holding manifest.json and its files; the caller stores it, then deletes it. */
  readonly dir: string;
  readonly manifest: CheckpointManifest;
  /** Files left out because they held a secret, by path (never the value). */
  readonly excluded: readonly ExcludedFile[];
  readonly warnings: readonly string[];
  /** Bytes of the folder, manifest included. */
  readonly sizeBytes: number;
}

export async function createCheckpoint(options: CreateCheckpointOptions): Promise<CreatedCheckpoint> {
  const workspace = path.resolve(options.workspace);
  const dir = await mkdtemp(path.join(options.stagingDir, 'checkpoint-'));
  const scratch = await mkdtemp(path.join(options.stagingDir, 'checkpoint-scratch-'));
  try {
    const secrets = options.secrets ?? [];
    const needles = secretNeedles(secrets);
    const excluded: ExcludedFile[] = [];
    const warnings: string[] = [];
    const roles: FileRole[] = [];
    const out = (role: FileRole): string => path.join(dir, CHECKPOINT_FILES[role]);

    // The agent's state is copied before the work tree is read: the conversation then never claims
    // a step whose effects the work tree lacks. A step may run again after a restore; none is lost.
    const agentStateDir = options.agentStateDir === undefined ? null : path.resolve(options.agentStateDir);
    let agentCopy: Awaited<ReturnType<typeof copyAgentState>> | undefined;
    if (agentStateDir !== null && (await isFolder(agentStateDir))) {
      agentCopy = await copyAgentState(agentStateDir, path.join(scratch, 'agent-state'), options.agentStateExclude ?? [], needles);
      excluded.push(...agentCopy.secretHits.map((file) => ({ area: 'agent-state' as const, path: file })));
      warnings.push(...agentCopy.warnings);
    }

    const snapshot = await snapshotWorkspace({ workspace, baseCommit: options.baseCommit, bundleFile: out('workspace'), tempDir: scratch, needles });
    excluded.push(...snapshot.secretHits.map((file) => ({ area: 'workspace' as const, path: file })));
    if (snapshot.recorded.omitted !== null) warnings.push(`workspace not saved: ${snapshot.recorded.omitted}`);
    if (snapshot.bundled) roles.push('workspace');

    const checkpointPaths = options.checkpointPaths ?? '';
    if (checkpointPaths.trim() !== '') {
      const expanded = await expandCheckpointPaths(workspace, checkpointPaths);
      warnings.push(...expanded.problems);
      const archived = await createArchive(workspace, expanded.entries, out('paths'), needles);
      excluded.push(...archived.secretHits.map((file) => ({ area: 'paths' as const, path: file })));
      warnings.push(...archived.warnings);
      if (archived.written) roles.push('paths');
    }

    const extraDir = options.extraDir === undefined ? null : path.resolve(options.extraDir);
    if (extraDir !== null && (await isFolder(extraDir))) {
      // Inside the work tree, a nested repository's .git is git's business, not ours.
      const insideWorkspace = isInside(workspace, extraDir);
      const entries = await walkTree(extraDir, (rel) => insideWorkspace && rel.split('/').some((part) => part.toLowerCase() === '.git'));
      const archived = await createArchive(extraDir, entries, out('extra'), needles);
      excluded.push(...archived.secretHits.map((file) => ({ area: 'extra' as const, path: file })));
      warnings.push(...archived.warnings);
      if (archived.written) roles.push('extra');
    }

    if (agentCopy !== undefined) {
      // Already scanned (the copy is what gets archived), so no needles here.
      const archived = await createArchive(agentCopy.root, agentCopy.entries, out('agent-state'), []);
      warnings.push(...archived.warnings);
      if (archived.written) roles.push('agent-state');
    }

    // Report in a fixed order whatever order the areas were read in.
    const areaOrder = ['workspace', 'paths', 'extra', 'agent-state', 'manifest'];
    excluded.sort((a, b) => areaOrder.indexOf(a.area) - areaOrder.indexOf(b.area));

    const files: ManifestFile[] = [];
    for (const role of roles) {
      const file = out(role);
      files.push({ name: CHECKPOINT_FILES[role], role, sizeBytes: (await stat(file)).size, sha256: await sha256File(file) });
    }
    let manifest: CheckpointManifest = {
      schemaVersion: 1,
      lineage: { ...options.lineage },
      sequence: options.sequence,
      attempt: options.attempt,
      createdAt: (options.createdAt ?? new Date()).toISOString(),
      agent: options.agent,
      sessionId: options.sessionId ?? null,
      workspace: snapshot.recorded,
      checkpointPaths,
      extraDir,
      agentStateDir,
      attempts: (options.attempts ?? []).map((entry) => ({ ...entry })),
      totals: { costUsd: options.totals?.costUsd ?? 0, turns: options.totals?.turns ?? 0 },
      files,
      excluded,
    };
    // The attempt history carries error messages, which may echo a secret: redact rather than drop.
    if (containsSecret(serializeManifest(manifest), needles)) {
      manifest = manifestSchema.parse(redactSecrets(manifest, secrets));
      manifest.excluded.push({ area: 'manifest', path: MANIFEST_FILE });
      if (containsSecret(serializeManifest(manifest), needles)) throw new Error('the manifest still holds a secret after redaction');
    }
    manifest = manifestSchema.parse(manifest);
    await writeFile(path.join(dir, MANIFEST_FILE), serializeManifest(manifest));
    const sizeBytes = (await stat(path.join(dir, MANIFEST_FILE))).size + files.reduce((sum, file) => sum + file.sizeBytes, 0);
    return { dir, manifest, excluded: manifest.excluded, warnings, sizeBytes };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface RestoreCheckpointOptions {
  /** The fetched checkpoint folder. */
  readonly dir: string;
  /** The checkout to restore into. */
  readonly workspace: string;
  /** The current lineage: a checkpoint of another repository is refused. */
  readonly lineage: Lineage;
  /** Where to restore the agent state; without it the agent state is not restored. */
  readonly agentStateDir?: string | undefined;
  /** Where to restore the extra folder; without it, it is not restored. */
  readonly extraDir?: string | undefined;
  /** When given, experiment-path entries must lie under these patterns' static folders. */
  readonly checkpointPaths?: string | undefined;
  /**
   * Agent-state paths a checkpoint must not bring back (the agent's own configuration where it
   * shares the folder with its sessions): a checkpoint holding one is refused whole.
   */
  readonly agentStateRefuse?: ((relativePath: string) => boolean) | undefined;
}

export interface RestoreResult {
  readonly manifest: CheckpointManifest;
  readonly workspace: WorkspaceOutcome;
  /** The archives that were extracted. */
  readonly restored: readonly FileRole[];
  /** What was not restored, or restored differently, and why. */
  readonly notes: readonly string[];
}

interface PlannedArchive {
  readonly role: FileRole;
  readonly file: string;
  readonly root: string;
  readonly entries: Awaited<ReturnType<typeof readArchiveEntries>>;
}

/**
 * Validates a checkpoint folder (manifest schema, size and sha256 of every file, repository, base
 * commit in the checkout, bundle, archive entries) and only then restores it: the workspace, the
 * experiment paths, the extra folder and the agent state. Throws CheckpointRejected with the reason.
 */
export async function restoreCheckpoint(options: RestoreCheckpointOptions): Promise<RestoreResult> {
  const workspace = path.resolve(options.workspace);
  const manifest = await readValidManifest(options.dir, options.lineage);
  const notes: string[] = [];
  if (manifest.workspace.path !== workspace) {
    notes.push(`saved from ${manifest.workspace.path}, restored into ${workspace} (agent sessions are tied to the path)`);
  }
  // Sessions are found by absolute path (Claude's projects/<cwd>); the caller decides where, we say so.
  for (const [label, saved, given] of [
    ['agent state', manifest.agentStateDir, options.agentStateDir],
    ['extra folder', manifest.extraDir, options.extraDir],
  ] as const) {
    if (saved !== null && given !== undefined && path.resolve(given) !== saved) notes.push(`${label} saved from ${saved}, restored into ${path.resolve(given)}`);
  }
  const fileOf = (role: FileRole): string | undefined => {
    const file = fileOfRole(manifest, role);
    return file && path.join(options.dir, file.name);
  };
  await checkWorkspace(workspace, manifest.workspace, fileOf('workspace'));

  const destinations: Array<{ role: FileRole; root: string | undefined; label: string }> = [
    { role: 'paths', root: workspace, label: 'experiment paths' },
    { role: 'extra', root: options.extraDir && path.resolve(options.extraDir), label: 'extra folder (no extraDir given)' },
    { role: 'agent-state', root: options.agentStateDir && path.resolve(options.agentStateDir), label: 'agent state (no agentStateDir given)' },
  ];
  const declared = options.checkpointPaths === undefined ? undefined : parseCheckpointPaths(options.checkpointPaths).patterns;
  const plan: PlannedArchive[] = [];
  for (const { role, root, label } of destinations) {
    const file = fileOf(role);
    if (file === undefined) continue;
    if (root === undefined) {
      notes.push(`not restored: ${label}`);
      continue;
    }
    let entries: PlannedArchive['entries'];
    try {
      entries = await readArchiveEntries(file);
    } catch (error) {
      throw new CheckpointRejected('unsafe-archive', `${path.basename(file)} cannot be read: ${(error as Error).message}`);
    }
    const allowedRoots = role === 'paths' && declared ? declared.filter((pattern) => !pattern.negate).map((pattern) => staticRoot(pattern.pattern)) : undefined;
    const refused = role === 'agent-state' && options.agentStateRefuse ? entries.find((entry) => entry.names.some((name) => options.agentStateRefuse?.(name.replace(/^\.\//, '').replace(/\/+$/, '')))) : undefined;
    if (refused) throw new CheckpointRejected('unsafe-archive', `${path.basename(file)}: '${refused.path}' is agent configuration, which a checkpoint never restores`);
    const problem = archiveEntriesProblem(entries, { root, forbidGitDirs: isInside(workspace, root), allowedRoots });
    if (problem !== undefined) throw new CheckpointRejected('unsafe-archive', `${path.basename(file)}: ${problem}`);
    const onDisk = await destinationProblem(root, entries);
    if (onDisk !== undefined) throw new CheckpointRejected('unsafe-archive', `${path.basename(file)}: ${onDisk}`);
    plan.push({ role, file, root, entries });
  }

  const workspaceOutcome = await restoreWorkspace(workspace, manifest.workspace, fileOf('workspace'));
  if (workspaceOutcome === 'omitted') notes.push(`workspace not restored: ${manifest.workspace.omitted ?? ''}`);
  for (const archive of plan) {
    // Again, now that the work tree changed: a restored tracked symlink must not become a way out.
    const onDisk = await destinationProblem(archive.root, archive.entries);
    if (onDisk !== undefined) throw new CheckpointRejected('unsafe-archive', `${path.basename(archive.file)}: ${onDisk}`);
    await extractArchive(archive.file, archive.root);
  }
  return { manifest, workspace: workspaceOutcome, restored: plan.map((archive) => archive.role), notes };
}

/** Reads manifest.json and checks schema, repository, and every listed file's size and sha256. */
export async function readValidManifest(dir: string, lineage: Lineage): Promise<CheckpointManifest> {
  let text: string;
  try {
    const info = await lstat(path.join(dir, MANIFEST_FILE));
    if (!info.isFile()) throw new Error('not a regular file');
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    throw new CheckpointRejected('manifest', `manifest.json cannot be read: ${(error as Error).message}`);
  }
  const parsed = parseManifest(text);
  if (!parsed.ok) throw new CheckpointRejected('manifest', parsed.reason);
  const manifest = parsed.manifest;
  if (manifest.lineage.repository !== lineage.repository) {
    throw new CheckpointRejected('foreign-repository', `saved for repository '${manifest.lineage.repository}', this is '${lineage.repository}'`);
  }
  const actual = new Map<string, { sizeBytes: number; sha256: string } | undefined>();
  for (const file of manifest.files) {
    const full = path.join(dir, file.name);
    const info = await lstat(full).catch(() => undefined);
    actual.set(file.name, info?.isFile() ? { sizeBytes: info.size, sha256: await sha256File(full) } : undefined);
  }
  const problems = fileMismatches(manifest.files, actual);
  if (problems.length > 0) throw new CheckpointRejected('integrity', problems.join('; '));
  return manifest;
}

export interface RestoreLatestOptions extends Omit<RestoreCheckpointOptions, 'dir' | 'lineage'> {
  /** Where fetched checkpoints are put while they are checked (removed afterwards). */
  readonly tempDir: string;
  /** Told about every checkpoint that was refused, and why. */
  readonly warn: (message: string) => void;
}

export interface RestoredCheckpoint extends RestoreResult {
  readonly ref: CheckpointRef;
}

/**
 * Restores the newest checkpoint of the lineage that passes validation: one that fails is refused
 * with a warning and the next older one is tried. Undefined when none could be restored.
 */
export async function restoreLatest(store: Store, lineage: Lineage, options: RestoreLatestOptions): Promise<RestoredCheckpoint | undefined> {
  let refs: CheckpointRef[];
  try {
    refs = await store.list(lineage);
  } catch (error) {
    options.warn(`cannot list checkpoints in the ${store.name} store: ${(error as Error).message}`);
    return undefined;
  }
  for (const ref of refs) {
    const dir = await mkdtemp(path.join(options.tempDir, 'checkpoint-fetch-'));
    try {
      await store.fetch(ref, dir);
      const result = await restoreCheckpoint({ ...options, dir, lineage });
      return { ...result, ref };
    } catch (error) {
      const what = `checkpoint ${ref.key} (sequence ${ref.sequence}, ${ref.store} store)`;
      options.warn(error instanceof CheckpointRejected ? `refused ${what}: ${error.reason}` : `could not restore ${what}: ${(error as Error).message}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return undefined;
}

async function isFolder(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
