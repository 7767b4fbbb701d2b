// manifest.json: what a checkpoint holds and how to check it. Pure: schema and helpers only.
import path from 'node:path';
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';

/** The files a checkpoint may hold besides the manifest, by role. */
export const CHECKPOINT_FILES = {
  workspace: 'workspace.bundle',
  paths: 'paths.tar.gz',
  extra: 'extra.tar.gz',
  'agent-state': 'agent-state.tar.gz',
} as const;

export type FileRole = keyof typeof CHECKPOINT_FILES;
const FILE_ROLES = ['workspace', 'paths', 'extra', 'agent-state'] as const satisfies readonly FileRole[];

/** Where a file was left out of a checkpoint because it held a secret. */
export const EXCLUDED_AREAS = ['workspace', 'paths', 'extra', 'agent-state', 'manifest'] as const;
export type ExcludedArea = (typeof EXCLUDED_AREAS)[number];

const objectId = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, 'a full git object id');
const absolutePath = z.string().refine((value) => path.isAbsolute(value), 'an absolute path');
// Plain names only: a manifest must not be able to make the reader open `../x` or `/etc/x`.
const fileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a plain file name')
  .refine((name) => name !== MANIFEST_FILE, 'not the manifest itself');
// What `git check-ref-format --branch` accepts, roughly; the restore re-checks with git itself.
const branchName = z
  .string()
  .min(1)
  .refine((name) => !/(?:^[-/.])|(?:\.\.)|(?:[\s~^:?*[\\\x00-\x1f\x7f])|(?:@\{)|(?:\/\/)|(?:[/.]$)|(?:\.lock$)/.test(name), 'a valid branch name');

export const lineageSchema = z.object({
  repository: z.string().min(1),
  workflow: z.string(),
  job: z.string(),
  checkpointId: z.string(),
  runId: z.string(),
});

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    lineage: lineageSchema,
    sequence: z.number().int().nonnegative(),
    attempt: z.number().int().positive(),
    createdAt: z.iso.datetime({ offset: true }),
    agent: z.string().min(1),
    sessionId: z.string().min(1).nullable(),
    workspace: z.object({
      /** Absolute path of the work tree when saved (sessions are tied to it). */
      path: absolutePath,
      /** The checkout's commit the run started from; the bundle's prerequisite. */
      base: objectId,
      /** The agent's HEAD (its own commits included). */
      head: objectId,
      /** The branch HEAD was on; null when detached. */
      branch: branchName.nullable(),
      /** Commit (parent: head) holding the work tree, untracked files included; null when it equals head. */
      snapshot: objectId.nullable(),
      /** Why the work tree was not saved (a secret in the agent's own commits); null when it was. */
      omitted: z.string().nullable(),
    }),
    /** The `checkpoint_paths` patterns as given. */
    checkpointPaths: z.string(),
    extraDir: absolutePath.nullable(),
    agentStateDir: absolutePath.nullable(),
    attempts: z.array(z.record(z.string(), z.unknown())),
    totals: z.object({ costUsd: z.number().nonnegative(), turns: z.number().int().nonnegative() }),
    files: z.array(
      z.object({
        name: fileName,
        role: z.enum(FILE_ROLES),
        sizeBytes: z.number().int().nonnegative(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    ),
    /** Files left out because they held a secret (paths only, never the value). */
    excluded: z.array(z.object({ area: z.enum(EXCLUDED_AREAS), path: z.string() })),
    /** How agent state and work tree relate (see CONSISTENCY_LEVELS); absent in older manifests: agent-state-first. */
    consistency: z.enum(['turn-boundary', 'mid-turn', 'agent-state-first']).optional(),
    /** The tool call that was running when a mid-turn checkpoint was taken; its outputs may be partial. */
    interruptedTool: z.object({ name: z.string().max(200), id: z.string().max(200) }).optional(),
  })
  .superRefine((manifest, context) => {
    const names = new Set(manifest.files.map((file) => file.name));
    const roles = new Set(manifest.files.map((file) => file.role));
    if (names.size !== manifest.files.length) context.addIssue({ code: 'custom', message: 'duplicate file names', path: ['files'] });
    if (roles.size !== manifest.files.length) context.addIssue({ code: 'custom', message: 'duplicate file roles', path: ['files'] });
    if (roles.has('extra') && manifest.extraDir === null) context.addIssue({ code: 'custom', message: 'extra archive without extraDir', path: ['extraDir'] });
    if (roles.has('agent-state') && manifest.agentStateDir === null) {
      context.addIssue({ code: 'custom', message: 'agent state archive without agentStateDir', path: ['agentStateDir'] });
    }
    if (manifest.workspace.omitted !== null && (roles.has('workspace') || manifest.workspace.snapshot !== null)) {
      context.addIssue({ code: 'custom', message: 'an omitted workspace has no bundle or snapshot', path: ['workspace'] });
    }
  });

export type CheckpointManifest = z.infer<typeof manifestSchema>;
export type ManifestFile = CheckpointManifest['files'][number];
export type ExcludedFile = CheckpointManifest['excluded'][number];

export type ParsedManifest = { ok: true; manifest: CheckpointManifest } | { ok: false; reason: string };

/** Parses manifest.json text; the reason names the first problem (never throws). */
export function parseManifest(text: string): ParsedManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `manifest.json is not JSON (${(error as Error).message})` };
  }
  const result = manifestSchema.safeParse(data);
  if (result.success) return { ok: true, manifest: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.map(String).join('.') ?? '';
  return { ok: false, reason: `manifest.json is invalid${where ? ` at ${where}` : ''}: ${issue?.message ?? 'unknown problem'}` };
}

export function serializeManifest(manifest: CheckpointManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function fileOfRole(manifest: CheckpointManifest, role: FileRole): ManifestFile | undefined {
  return manifest.files.find((file) => file.role === role);
}

/** Total bytes of a checkpoint's files (manifest excluded). */
export function manifestSize(manifest: CheckpointManifest): number {
  return manifest.files.reduce((sum, file) => sum + file.sizeBytes, 0);
}

/** The differences between recorded and actual file facts, as reasons (empty when they agree). */
export function fileMismatches(
  expected: readonly ManifestFile[],
  actual: ReadonlyMap<string, { sizeBytes: number; sha256: string } | undefined>,
): string[] {
  const problems: string[] = [];
  for (const file of expected) {
    const found = actual.get(file.name);
    if (!found) problems.push(`${file.name} is missing`);
    else if (found.sizeBytes !== file.sizeBytes) problems.push(`${file.name} has ${found.sizeBytes} bytes, the manifest says ${file.sizeBytes}`);
    else if (found.sha256 !== file.sha256) problems.push(`${file.name} does not match its sha256`);
  }
  return problems;
}
