// Creating a checkpoint (a manifest and the content-addressed objects it names), and restoring one
// (or the newest valid one of a store).
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../format.js';
import type { AttemptEntry } from '../runner/attempt-entry.js';
import { anyAgentSessionData, listAgentState, withoutBrokenDatabases, type AgentStateFilter } from './agent-state.js';
import { loadBundleChain, mayExtend, nextChain, saveBundleChain, type BundleChain, type BundleLink } from './bundle-chain.js';
import { CheckpointRejected } from './errors.js';
import { git } from './exec.js';
import { treeBytes, treeObjects, type FileTree } from './file-tree.js';
import { walkTree, type TreeEntry } from './files.js';
import {
  MANIFEST_FILE,
  OBJECTS_DIR,
  manifestSchema,
  parseManifest,
  serializeManifest,
  type AreaRole,
  type CheckpointManifest,
  type ExcludedFile,
  type FileRole,
  type ManifestArea,
} from './manifest.js';
import { encodeObject } from './object-codec.js';
import type { WorkTreeStatus } from './fingerprint.js';
import { inParallel } from './in-parallel.js';
import { ObjectFolder } from './object-folder.js';
import { expandCheckpointPaths } from './paths-archive.js';
import { Progress, type ProgressLog } from './progress.js';
import { isInside, parseCheckpointPaths, staticRoot } from './safe-paths.js';
import { containsSecret, redactSecrets, secretNeedles } from './secret-scan.js';
import { signatureProblem, signManifest } from './signature.js';
import { StatCache } from './stat-cache.js';
import type { CheckpointRef, Lineage, Store } from './store.js';
import { checkTree, destinationProblem, loadTree, writeTree } from './tree-restore.js';
import { allObjectsPresent, storeTree, type SaveStats, type TreeWriterContext } from './tree-writer.js';
import {
  checkoutState,
  checkWorkspace,
  headTreeKinds,
  restoreWorkspace,
  rollbackCheckout,
  snapshotWorkspace,
  workTreeRoot,
  type WorkspaceOutcome,
} from './workspace-snapshot.js';
import { errorMessage } from '../error-message.js';

export type Consistency = CheckpointManifest['consistency'];

export interface CreateCheckpointOptions {
  /** The checkout the agent works in (GITHUB_WORKSPACE). */
  readonly workspace: string;
  /** The commit the checkout started from (GITHUB_SHA, or HEAD before the agent ran). */
  readonly baseCommit: string;
  /**
   * A private folder (RUNNER_TEMP) for the checkpoint folder and scratch space. It also keeps the
   * last checkpoint's objects and the stat cache, so the next save reads only what changed: give
   * every save of a job the same one.
   */
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
  /** Which files of the agent state are saved (relative path -> keep?); default the session data of either agent. */
  readonly agentStateFilter?: AgentStateFilter | undefined;
  /** Every secret value the step knows: no file holding one is saved. */
  readonly secrets?: readonly string[] | undefined;
  readonly attempts?: readonly AttemptEntry[] | undefined;
  readonly totals?: { readonly costUsd: number; readonly turns: number } | undefined;
  readonly createdAt?: Date | undefined;
  /** When the parts were read relative to the agent's turns (default 'agent-state-first'). */
  readonly consistency?: Consistency | undefined;
  /** The tool call running when a mid-turn checkpoint was taken. */
  readonly interruptedTool?: { readonly name: string; readonly id: string } | undefined;
  /** `checkpoint_signing_key`: the manifest is signed with it. */
  readonly signingKey?: string | undefined;
  /** Where progress lines of a long save go. */
  readonly progress?: ProgressLog | undefined;
  /**
   * The no-change check's status and stats, for a save that follows it while the agent is held.
   * Asked when the work tree is listed, after the agent state is read: return the status only if
   * nothing can have changed the work tree since the check (the agent still held), else undefined
   * and the save runs its own. So the listing is never older than the agent state it goes with.
   */
  readonly workTreeStatus?: (() => WorkTreeStatus | undefined) | undefined;
}

export interface CheckpointStats {
  readonly files: number;
  /** Bytes of files read because they changed (or were not known) since the last save. */
  readonly bytesRead: number;
  /** Stored bytes of objects the last save in this staging folder did not have. */
  readonly bytesNew: number;
  readonly bytesReused: number;
  readonly durationMs: number;
}

export interface CreatedCheckpoint {
  /** A fresh folder holding manifest.json and objects/; the caller stores it, then deletes it. */
  readonly dir: string;
  readonly manifest: CheckpointManifest;
  /** Files left out because they held a secret, by path (never the value). */
  readonly excluded: readonly ExcludedFile[];
  readonly warnings: readonly string[];
  /** Stored bytes of the whole checkpoint, manifest included. */
  readonly sizeBytes: number;
  readonly stats: CheckpointStats;
}

const STAGING_OBJECTS = 'objects';
const STAT_CACHE = 'stat-cache.json';
const BUNDLE_NAME = 'workspace.bundle';
const BUNDLE_CHAIN = 'bundle-chain.json';
const VERIFY_BUFFER = 1024 * 1024;
// File-system calls in flight at once (the thread pool has four threads).
const FS_PARALLEL = 8;

export async function createCheckpoint(options: CreateCheckpointOptions): Promise<CreatedCheckpoint> {
  const workspace = path.resolve(options.workspace);
  const started = Date.now();
  const staged = new ObjectFolder(path.join(options.stagingDir, STAGING_OBJECTS));
  const secrets = options.secrets ?? [];
  const needles = secretNeedles(secrets);
  const scanKey = createHash('sha256').update(needles.map((needle) => needle.toString('hex')).sort().join(',')).digest('hex');
  const cache = await StatCache.load(path.join(options.stagingDir, STAT_CACHE), scanKey);
  const stats: SaveStats = { files: 0, bytesRead: 0, bytesNew: 0, objectsNew: 0 };
  const progress = new Progress(`Checkpoint ${options.sequence}: saving`, options.progress);
  const context: TreeWriterContext = { objects: staged, needles, cache, stats, progress, present: new Map() };
  const dir = await mkdtemp(path.join(options.stagingDir, 'checkpoint-'));
  const scratch = await mkdtemp(path.join(options.stagingDir, 'checkpoint-scratch-'));
  try {
    const excluded: ExcludedFile[] = [];
    const warnings: string[] = [];
    const areas: ManifestArea[] = [];
    const referenced = new Set<string>();
    const putListing = async (tree: FileTree): Promise<string> => {
      const encoded = await encodeObject(Buffer.from(JSON.stringify(tree)));
      if (await staged.write(encoded.id, encoded.parts)) stats.bytesNew += encoded.size;
      referenced.add(encoded.id);
      for (const id of treeObjects(tree)) referenced.add(id);
      return encoded.id;
    };
    const addArea = async (role: AreaRole, tree: FileTree): Promise<void> => {
      if (tree.entries.length === 0) return;
      areas.push({ role, tree: await putListing(tree), files: tree.entries.filter((entry) => entry.kind !== 'directory').length, bytes: treeBytes(tree) });
    };

    // The agent's state is read before the work tree: the conversation then never claims a step
    // whose effects the work tree lacks. A step may run again after a restore; none is lost.
    const agentStateDir = options.agentStateDir === undefined ? null : path.resolve(options.agentStateDir);
    if (agentStateDir !== null && (await isFolder(agentStateDir))) {
      const listed = await listAgentState(agentStateDir, options.agentStateExclude ?? [], options.agentStateFilter);
      const stored = await storeTree(context, agentStateDir, listed.entries);
      excluded.push(...stored.secretHits.map((file) => ({ area: 'agent-state' as const, path: file })));
      const { kept, warnings: dropped } = withoutBrokenDatabases(stored.tree.entries, [...listed.dropped, ...stored.secretHits]);
      warnings.push(...stored.warnings, ...dropped);
      await addArea('agent-state', { ...stored.tree, entries: kept });
    }

    // The last save's bundles, when every object of them is still here to build on.
    let chain = await loadBundleChain(path.join(options.stagingDir, BUNDLE_CHAIN), scanKey);
    if (chain !== undefined && !(mayExtend(chain) && allObjectsPresent(context, chain.links.flatMap((link) => link.segments)))) chain = undefined;
    const since = chain === undefined ? undefined : { base: chain.base, head: chain.head };
    const snapshot = await snapshotWorkspace({ workspace, baseCommit: options.baseCommit, bundleFile: path.join(scratch, BUNDLE_NAME), tempDir: scratch, needles, since, status: options.workTreeStatus?.() });
    excluded.push(...snapshot.secretHits.map((file) => ({ area: 'workspace' as const, path: file })));
    warnings.push(...snapshot.warnings);
    if (snapshot.recorded.omitted !== null) warnings.push(`workspace not saved: ${snapshot.recorded.omitted}`);
    let bundles: BundleLink[] = [];
    let changes: string | null = null;
    let nextBundles: BundleChain | undefined;
    if (snapshot.recorded.omitted === null) {
      let link: BundleLink | undefined;
      if (snapshot.bundled === 'full' || snapshot.bundled === 'since') {
        // Its objects were scanned one by one above; the packed bytes need no second scan.
        const stored = await storeTree({ ...context, needles: [] }, scratch, [{ rel: BUNDLE_NAME, kind: 'file' }]);
        const entry = stored.tree.entries[0];
        if (entry?.kind !== 'file') throw new Error('the bundle was not stored');
        link = { size: entry.size, segments: entry.segments };
      }
      nextBundles = nextChain(chain, snapshot.bundled, link, { scanKey, base: snapshot.recorded.base, head: snapshot.recorded.head });
      bundles = nextBundles?.links ?? [];
      for (const earlier of bundles) for (const [id] of earlier.segments) referenced.add(id);
      const stored = await storeTree(context, snapshot.top, snapshot.changes);
      excluded.push(...stored.secretHits.map((file) => ({ area: 'workspace' as const, path: file })));
      warnings.push(...stored.warnings);
      const tree: FileTree = { ...stored.tree, deleted: snapshot.deleted };
      if (tree.entries.length > 0 || tree.deleted.length > 0) changes = await putListing(tree);
    }

    const checkpointPaths = options.checkpointPaths ?? '';
    if (checkpointPaths.trim() !== '') {
      const expanded = await expandCheckpointPaths(workspace, checkpointPaths);
      warnings.push(...expanded.problems);
      const stored = await storeTree(context, workspace, expanded.entries);
      excluded.push(...stored.secretHits.map((file) => ({ area: 'paths' as const, path: file })));
      warnings.push(...stored.warnings);
      await addArea('paths', stored.tree);
    }

    const extraDir = options.extraDir === undefined ? null : path.resolve(options.extraDir);
    if (extraDir !== null && (await isFolder(extraDir))) {
      // Inside the work tree, a nested repository's .git is git's business, not ours.
      const insideWorkspace = isInside(workspace, extraDir);
      const entries: TreeEntry[] = await walkTree(extraDir, (rel) => insideWorkspace && rel.split('/').some((part) => part.toLowerCase() === '.git'));
      const stored = await storeTree(context, extraDir, entries);
      excluded.push(...stored.secretHits.map((file) => ({ area: 'extra' as const, path: file })));
      warnings.push(...stored.warnings);
      await addArea('extra', stored.tree);
    }

    // Report in a fixed order whatever order the areas were read in.
    const areaOrder = ['workspace', 'paths', 'extra', 'agent-state', 'manifest'];
    excluded.sort((a, b) => areaOrder.indexOf(a.area) - areaOrder.indexOf(b.area) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

    const objects: CheckpointManifest['objects'] = [...referenced].sort().map((id) => {
      const size = staged.sizeNow(id);
      if (size === undefined) throw new Error(`object ${id} vanished from the staging folder`);
      return { id, size };
    });
    let manifest: CheckpointManifest = {
      schemaVersion: 2,
      lineage: { ...options.lineage },
      sequence: options.sequence,
      attempt: options.attempt,
      createdAt: (options.createdAt ?? new Date()).toISOString(),
      agent: options.agent,
      sessionId: options.sessionId ?? null,
      consistency: options.consistency ?? 'agent-state-first',
      ...(options.interruptedTool === undefined ? {} : { interruptedTool: { ...options.interruptedTool } }),
      workspace: { ...snapshot.recorded, bundle: bundles.at(-1) ?? null, ...(bundles.length > 1 ? { bundleChain: bundles.slice(0, -1) } : {}), changes },
      checkpointPaths,
      extraDir,
      agentStateDir,
      attempts: [...(options.attempts ?? [])],
      totals: { costUsd: options.totals?.costUsd ?? 0, turns: options.totals?.turns ?? 0 },
      areas,
      objects,
      excluded,
    };
    // The attempt history carries error messages, which may echo a secret: redact rather than drop.
    if (containsSecret(serializeManifest(manifest), needles)) {
      manifest = manifestSchema.parse(redactSecrets(manifest, secrets));
      manifest.excluded.push({ area: 'manifest', path: MANIFEST_FILE });
      if (containsSecret(serializeManifest(manifest), needles)) throw new Error('the manifest still holds a secret after redaction');
    }
    manifest = manifestSchema.parse(manifest);
    if (options.signingKey) manifest = signManifest(manifest, options.signingKey);
    const text = serializeManifest(manifest);
    await writeFile(path.join(dir, MANIFEST_FILE), text);
    const into = new ObjectFolder(path.join(dir, OBJECTS_DIR));
    await inParallel(objects, FS_PARALLEL, ({ id }) => into.adopt(id, staged.pathOf(id)));

    // The staging folder keeps this checkpoint's objects only (the next save's reuse), and the
    // stat cache names only those.
    const keep = new Set(referenced);
    await inParallel((await staged.list()).filter((id) => !keep.has(id)), FS_PARALLEL, (id) => staged.remove(id));
    for (const temp of await staged.temps()) await rm(temp, { force: true });
    await cache.save(path.join(options.stagingDir, STAT_CACHE));
    await saveBundleChain(path.join(options.stagingDir, BUNDLE_CHAIN), nextBundles);

    const stored = objects.reduce((sum, object) => sum + object.size, 0);
    const result: CheckpointStats = { files: stats.files, bytesRead: stats.bytesRead, bytesNew: stats.bytesNew, bytesReused: Math.max(0, stored - stats.bytesNew), durationMs: Date.now() - started };
    progress.finish(`${result.files} files, ${formatBytes(result.bytesNew)} new, ${formatBytes(result.bytesReused)} reused`);
    return { dir, manifest, excluded: manifest.excluded, warnings, sizeBytes: Buffer.byteLength(text) + stored, stats: result };
  } catch (error) {
    progress.finish('failed');
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface RestoreCheckpointOptions {
  /** The fetched checkpoint folder (manifest.json and objects/). */
  readonly dir: string;
  /** The checkout to restore into. */
  readonly workspace: string;
  /** The current lineage: a checkpoint of another repository is refused. */
  readonly lineage: Lineage;
  /** Where to restore the agent state; without it the agent state is not restored. */
  readonly agentStateDir?: string | undefined;
  /** Which files of the saved agent state are restored (relative path -> keep?); default the session data of either agent. */
  readonly agentStateFilter?: AgentStateFilter | undefined;
  /** Where to restore the extra folder; without it, it is not restored. */
  readonly extraDir?: string | undefined;
  /** When given, experiment-path entries must lie under these patterns' static folders, or they are skipped. */
  readonly checkpointPaths?: string | undefined;
  /**
   * Agent-state paths a checkpoint must not bring back (the agent's own configuration where it
   * shares the folder with its sessions): a checkpoint holding one is refused whole.
   */
  readonly agentStateRefuse?: ((relativePath: string) => boolean) | undefined;
  /** `checkpoint_signing_key`: when set, unsigned or wrongly signed checkpoints are refused. */
  readonly signingKey?: string | undefined;
  readonly progress?: ProgressLog | undefined;
}

export interface RestoreResult {
  readonly manifest: CheckpointManifest;
  readonly workspace: WorkspaceOutcome;
  /** The folders that were restored. */
  readonly restored: readonly FileRole[];
  /** What was not restored, or restored differently, and why. */
  readonly notes: readonly string[];
}

interface PlannedArea {
  readonly role: AreaRole;
  readonly label: string;
  readonly root: string;
  readonly tree: FileTree;
}

// Room left on the disk after a restore: a full disk breaks the agent's next write.
const DISK_MARGIN = 64 * 1024 * 1024;

/**
 * Validates a checkpoint folder and only then restores it: manifest schema, signature (with a key),
 * repository, every object's size and sha256, listings, the base commit in the checkout, the bundle,
 * every path and link against the target tree, and the size against free disk all run before the
 * checkout is touched. A failure after that resets the checkout to where it was and removes what the
 * restore created. Throws CheckpointRejected with the reason.
 */
export async function restoreCheckpoint(options: RestoreCheckpointOptions): Promise<RestoreResult> {
  const workspace = path.resolve(options.workspace);
  const manifest = await readCheckedManifest(options.dir, options.lineage, { signingKey: options.signingKey });
  // The bundles and listings are verified first (the checks below read them); the bulk of the
  // objects while git checks the checkout, and in any case before anything is written.
  const early = new Set([
    ...[manifest.workspace.bundle, ...(manifest.workspace.bundleChain ?? [])].flatMap((link) => link?.segments.map(([id]) => id) ?? []),
    ...manifest.areas.map((area) => area.tree),
    ...(manifest.workspace.changes === null ? [] : [manifest.workspace.changes]),
  ]);
  await verifyObjects(options.dir, manifest.objects.filter((object) => early.has(object.id)));
  const verified = verifyObjects(options.dir, manifest.objects.filter((object) => !early.has(object.id)));
  // Awaited below; a check that fails first must not leave this rejection unhandled.
  verified.catch(() => undefined);
  const objects = new ObjectFolder(path.join(options.dir, OBJECTS_DIR));
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

  const recorded = manifest.workspace;
  const bundleFiles: string[] = [];
  for (const [index, link] of [...(recorded.bundleChain ?? []), ...(recorded.bundle === null ? [] : [recorded.bundle])].entries()) {
    const name = `workspace-${index + 1}.bundle`;
    await writeTree({ version: 1, entries: [{ kind: 'file', path: name, mode: 0o600, size: link.size, segments: link.segments }], deleted: [] }, options.dir, objects, []);
    bundleFiles.push(path.join(options.dir, name));
  }
  const bundleFile = bundleFiles.at(-1);
  await checkWorkspace(workspace, recorded, bundleFiles);
  const top = await workTreeRoot(workspace);
  let changes: FileTree | undefined;
  let targetKinds: Map<string, string> | undefined;
  if (recorded.omitted === null) {
    // Objects only (no ref, no file changes): the restored commit's tree can then be checked.
    if (bundleFile !== undefined) await restoreWorkspaceObjects(top, bundleFile);
    targetKinds = await headTreeKinds(top, recorded.head);
    if (recorded.changes !== null) {
      const checked = checkTree(await loadTree(objects, recorded.changes, 'work tree'), 'work tree', { root: top, forbidGitDirs: true });
      if ('problem' in checked) throw new CheckpointRejected('unsafe-archive', `work tree: ${checked.problem}`);
      notes.push(...checked.notes);
      const onDisk = destinationProblem(top, [...checked.tree.entries.map((entry) => entry.path), ...checked.tree.deleted], targetKinds);
      if (onDisk !== undefined) throw new CheckpointRejected('unsafe-archive', `work tree: ${onDisk}`);
      changes = checked.tree;
    }
  }
  // What the work tree will hold once its changes are written: the outputs are checked against it.
  let afterKinds = targetKinds;
  if (targetKinds !== undefined && changes !== undefined) {
    afterKinds = new Map(targetKinds);
    for (const rel of changes.deleted) afterKinds.delete(rel);
    for (const entry of changes.entries) {
      if (entry.kind === 'directory') afterKinds.delete(entry.path);
      else afterKinds.set(entry.path, entry.kind === 'symlink' ? '120000' : '100644');
    }
  }

  const destinations: Array<{ role: AreaRole; root: string | undefined; label: string; missing: string }> = [
    { role: 'paths', root: workspace, label: 'experiment paths', missing: 'experiment paths' },
    { role: 'extra', root: options.extraDir && path.resolve(options.extraDir), label: 'extra folder', missing: 'extra folder (no extraDir given)' },
    { role: 'agent-state', root: options.agentStateDir && path.resolve(options.agentStateDir), label: 'agent state', missing: 'agent state (no agentStateDir given)' },
  ];
  const declared = options.checkpointPaths === undefined ? undefined : parseCheckpointPaths(options.checkpointPaths).patterns;
  const plan: PlannedArea[] = [];
  for (const { role, root, label, missing } of destinations) {
    const area = manifest.areas.find((candidate) => candidate.role === role);
    if (area === undefined) continue;
    if (root === undefined) {
      notes.push(`not restored: ${missing}`);
      continue;
    }
    const tree = await loadTree(objects, area.tree, label);
    const refused = role === 'agent-state' && options.agentStateRefuse ? tree.entries.find((entry) => options.agentStateRefuse?.(entry.path)) : undefined;
    if (refused) throw new CheckpointRejected('unsafe-archive', `${label}: '${refused.path}' is agent configuration, which a checkpoint never restores`);
    const allowedRoots = role === 'paths' && declared ? declared.filter((pattern) => !pattern.negate).map((pattern) => staticRoot(pattern.pattern)) : undefined;
    const checked = checkTree(tree, label, { root, forbidGitDirs: isInside(workspace, root), allowedRoots });
    if ('problem' in checked) {
      // checkpoint_paths edited since the save: the outputs do not fit, the rest still restores.
      if (role === 'paths' && / outside the declared paths$/.test(checked.problem)) {
        notes.push(`experiment paths not restored: ${checked.problem} (checkpoint_paths changed since the save)`);
        continue;
      }
      throw new CheckpointRejected('unsafe-archive', `${label}: ${checked.problem}`);
    }
    notes.push(...checked.notes);
    // Checked whole first (a tampered listing is refused, not trimmed), then only session data is
    // written: a checkpoint never brings back the agent's settings or hooks.
    const keep = options.agentStateFilter ?? anyAgentSessionData;
    const safe = role === 'agent-state' ? { ...checked.tree, entries: checked.tree.entries.filter((entry) => entry.kind === 'directory' || keep(entry.path)) } : checked.tree;
    const onDisk = destinationProblem(root, safe.entries.map((entry) => entry.path), role === 'paths' && root === top ? afterKinds : undefined);
    if (onDisk !== undefined) throw new CheckpointRejected('unsafe-archive', `${label}: ${onDisk}`);
    plan.push({ role, label, root, tree: safe });
  }

  await verified;
  const total = (changes ? treeBytes(changes) : 0) + plan.reduce((sum, area) => sum + treeBytes(area.tree), 0);
  const disk = await statfs(top).catch(() => undefined);
  if (disk !== undefined) {
    const free = disk.bavail * disk.bsize;
    if (total + DISK_MARGIN > free) throw new CheckpointRejected('bounds', `it needs ${formatBytes(total)} and the disk has ${formatBytes(free)} free`);
  }
  if (recorded.omitted !== null) notes.push(`workspace not restored: ${recorded.omitted}`);

  const progress = new Progress(`Restoring checkpoint ${manifest.sequence}`, options.progress);
  progress.plan((changes?.entries.length ?? 0) + plan.reduce((sum, area) => sum + area.tree.entries.length, 0), total);
  const before = await checkoutState(workspace);
  const created: string[] = [];
  try {
    // The bundle's objects are in already (unbundled for the checks above).
    const outcome = await restoreWorkspace(workspace, recorded, undefined);
    if (changes !== undefined) await writeTree(changes, top, objects, created, progress);
    for (const area of plan) {
      // Again, now that the work tree changed: a restored tracked symlink must not become a way out.
      const onDisk = destinationProblem(area.root, area.tree.entries.map((entry) => entry.path));
      if (onDisk !== undefined) throw new CheckpointRejected('unsafe-archive', `${area.label}: ${onDisk}`);
      await writeTree(area.tree, area.root, objects, created, progress);
    }
    progress.finish(`${formatBytes(total)} written`);
    return { manifest, workspace: outcome, restored: plan.map((area) => area.role), notes };
  } catch (error) {
    progress.finish('failed; undoing');
    for (const file of created.reverse()) await rm(file, { recursive: true, force: true }).catch(() => undefined);
    await rollbackCheckout(before);
    const reason = error instanceof CheckpointRejected ? error.reason : errorMessage(error);
    throw new CheckpointRejected(error instanceof CheckpointRejected ? error.kind : 'restore-failed', `${reason}; the checkout was reset to ${before.head.slice(0, 12)}`);
  }
}

async function restoreWorkspaceObjects(top: string, bundleFile: string): Promise<void> {
  await git(top, ['bundle', 'unbundle', bundleFile]);
}

/**
 * Reads manifest.json and checks schema, repository, signature (when a key is given), and every
 * listed object's size and sha256.
 */
export async function readValidManifest(dir: string, lineage: Lineage, options: { signingKey?: string | undefined } = {}): Promise<CheckpointManifest> {
  const manifest = await readCheckedManifest(dir, lineage, options);
  await verifyObjects(dir, manifest.objects);
  return manifest;
}

/** The manifest's schema, repository and signature; not its objects. */
async function readCheckedManifest(dir: string, lineage: Lineage, options: { signingKey?: string | undefined }): Promise<CheckpointManifest> {
  let text: string;
  try {
    const info = await lstat(path.join(dir, MANIFEST_FILE));
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > 64 * 1024 * 1024) throw new Error(`${info.size} bytes is more than a manifest holds`);
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    throw new CheckpointRejected('manifest', `manifest.json cannot be read: ${errorMessage(error)}`);
  }
  const parsed = parseManifest(text);
  if (!parsed.ok) throw new CheckpointRejected('manifest', parsed.reason);
  const manifest = parsed.manifest;
  if (manifest.lineage.repository !== lineage.repository) {
    throw new CheckpointRejected('foreign-repository', `saved for repository '${manifest.lineage.repository}', this is '${lineage.repository}'`);
  }
  if (options.signingKey) {
    const problem = signatureProblem(manifest, options.signingKey);
    if (problem !== undefined) throw new CheckpointRejected('signature', problem);
  }
  return manifest;
}

/** Every listed object's presence, size and sha256; throws CheckpointRejected naming up to three problems. */
async function verifyObjects(dir: string, listed: CheckpointManifest['objects']): Promise<void> {
  const objects = new ObjectFolder(path.join(dir, OBJECTS_DIR));
  const problems: Array<string | undefined> = [];
  let next = 0;
  // Two at a time: reading one object overlaps hashing the other, one scratch buffer each.
  const worker = async (): Promise<void> => {
    const scratch = Buffer.allocUnsafe(VERIFY_BUFFER);
    for (let index = next++; index < listed.length; index = next++) {
      if (problems.filter(Boolean).length >= 3) return;
      const object = listed[index];
      if (object !== undefined) problems[index] = await objects.problemWith(object.id, object.size, scratch);
    }
  };
  await Promise.all([worker(), worker()]);
  const found = problems.filter((problem) => problem !== undefined).slice(0, 3);
  if (found.length > 0) throw new CheckpointRejected('integrity', found.join('; '));
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
    options.warn(`cannot list checkpoints in the ${store.name} store: ${errorMessage(error)}`);
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
      options.warn(error instanceof CheckpointRejected ? `refused ${what}: ${error.reason}` : `could not restore ${what}: ${errorMessage(error)}`);
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
