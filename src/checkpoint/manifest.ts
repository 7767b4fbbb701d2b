// manifest.json: what a checkpoint holds and how to check it. Pure: schema and helpers only.
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../error-message.js';
import { attemptHistorySchema } from '../runner/attempt-entry.js';

export const MANIFEST_FILE = 'manifest.json';

/** The folder of a checkpoint that holds its objects, each named by its id. */
export const OBJECTS_DIR = 'objects';

/** What a checkpoint holds, by role. */
export const FILE_ROLES = ['workspace', 'paths', 'extra', 'agent-state'] as const;
export type FileRole = (typeof FILE_ROLES)[number];
const AREA_ROLES = ['paths', 'extra', 'agent-state'] as const;
export type AreaRole = (typeof AREA_ROLES)[number];

/** Where a file was left out of a checkpoint because it held a secret. */
export const EXCLUDED_AREAS = ['workspace', 'paths', 'extra', 'agent-state', 'manifest'] as const;
export type ExcludedArea = (typeof EXCLUDED_AREAS)[number];

const objectId = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, 'a full git object id');
const absolutePath = z.string().refine((value) => path.isAbsolute(value), 'an absolute path');
// Object ids are the only names a manifest makes the reader open: no `../x` or `/etc/x`.
const objectHash = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 object id');
const count = z.number().int().nonnegative();
const segment = z.tuple([objectHash, count, count]);
const bundleSchema = z.object({ size: count, segments: z.array(segment) });
/** Earlier bundles a checkpoint may build on; a save past this starts over with one against base. */
export const MAX_BUNDLE_CHAIN = 15;
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

export const CONSISTENCY = ['turn-boundary', 'mid-turn', 'agent-state-first'] as const;

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(2),
    lineage: lineageSchema,
    sequence: z.number().int().nonnegative(),
    attempt: z.number().int().positive(),
    createdAt: z.iso.datetime({ offset: true }),
    agent: z.string().min(1),
    sessionId: z.string().min(1).nullable(),
    /** When the parts were read relative to the agent's turns. */
    consistency: z.enum(CONSISTENCY).default('agent-state-first'),
    /** The tool call that was running when a mid-turn checkpoint was taken. */
    interruptedTool: z.object({ name: z.string().max(200), id: z.string().max(200) }).optional(),
    workspace: z.object({
      /** Absolute path of the work tree when saved (sessions are tied to it). */
      path: absolutePath,
      /** The checkout's commit the run started from; the bundle's prerequisite. */
      base: objectId,
      /** The agent's HEAD (its own commits included). */
      head: objectId,
      /** The branch HEAD was on; null when detached. */
      branch: branchName.nullable(),
      /** The agent's commits as a git bundle against base (byte ranges of objects); null without commits. */
      bundle: bundleSchema.nullable(),
      /**
       * Earlier bundles `bundle` builds on, oldest first (the first against base, each next against
       * the one before): a save after new commits bundles only those. Absent: `bundle` is against base.
       */
      bundleChain: z.array(bundleSchema).min(1).max(MAX_BUNDLE_CHAIN).optional(),
      /** The listing object of the files that differ from HEAD and the paths deleted; null when clean. */
      changes: objectHash.nullable(),
      /** Why the work tree was not saved (a secret in the agent's own commits); null when it was. */
      omitted: z.string().nullable(),
    }),
    /** The `checkpoint_paths` patterns as given. */
    checkpointPaths: z.string(),
    extraDir: absolutePath.nullable(),
    agentStateDir: absolutePath.nullable(),
    /** The lineage's attempt history; entries this version does not read are left out. */
    attempts: attemptHistorySchema,
    totals: z.object({ costUsd: z.number().nonnegative(), turns: z.number().int().nonnegative() }),
    /** The folders saved, each as a listing object. */
    areas: z.array(z.object({ role: z.enum(AREA_ROLES), tree: objectHash, files: count, bytes: count })),
    /** Every object the checkpoint needs (listings, packs, chunks, bundle) with its stored size. */
    objects: z.array(z.object({ id: objectHash, size: count })),
    /** Files left out because they held a secret (paths only, never the value). */
    excluded: z.array(z.object({ area: z.enum(EXCLUDED_AREAS), path: z.string() })),
    /** HMAC-SHA256 (hex) of the manifest without this field, with `checkpoint_signing_key`. */
    signature: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .superRefine((manifest, context) => {
    const roles = new Set(manifest.areas.map((area) => area.role));
    if (roles.size !== manifest.areas.length) context.addIssue({ code: 'custom', message: 'duplicate areas', path: ['areas'] });
    if (roles.has('extra') && manifest.extraDir === null) context.addIssue({ code: 'custom', message: 'extra folder saved without extraDir', path: ['extraDir'] });
    if (roles.has('agent-state') && manifest.agentStateDir === null) {
      context.addIssue({ code: 'custom', message: 'agent state saved without agentStateDir', path: ['agentStateDir'] });
    }
    if (manifest.workspace.bundleChain !== undefined && manifest.workspace.bundle === null) {
      context.addIssue({ code: 'custom', message: 'earlier bundles without a bundle', path: ['workspace', 'bundleChain'] });
    }
    if (manifest.workspace.omitted !== null && (manifest.workspace.bundle !== null || manifest.workspace.changes !== null)) {
      context.addIssue({ code: 'custom', message: 'an omitted workspace has no bundle or changes', path: ['workspace'] });
    }
    const ids = new Set(manifest.objects.map((object) => object.id));
    if (ids.size !== manifest.objects.length) context.addIssue({ code: 'custom', message: 'duplicate objects', path: ['objects'] });
    const referenced = [
      ...manifest.areas.map((area) => area.tree),
      ...(manifest.workspace.changes === null ? [] : [manifest.workspace.changes]),
      ...(manifest.workspace.bundle?.segments.map(([id]) => id) ?? []),
      ...(manifest.workspace.bundleChain ?? []).flatMap((link) => link.segments.map(([id]) => id)),
    ];
    for (const id of referenced) if (!ids.has(id)) context.addIssue({ code: 'custom', message: `object ${id.slice(0, 12)}… is referenced but not listed`, path: ['objects'] });
  });

export type CheckpointManifest = z.infer<typeof manifestSchema>;
export type ManifestObject = CheckpointManifest['objects'][number];
export type ManifestArea = CheckpointManifest['areas'][number];
export type ExcludedFile = CheckpointManifest['excluded'][number];

export type ParsedManifest = { ok: true; manifest: CheckpointManifest } | { ok: false; reason: string };

/** Parses manifest.json text; the reason names the first problem (never throws). */
export function parseManifest(text: string): ParsedManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `manifest.json is not JSON (${errorMessage(error)})` };
  }
  const result = manifestSchema.safeParse(data);
  if (result.success) return { ok: true, manifest: result.data };
  return { ok: false, reason: `manifest.json is invalid: ${zodProblem(result.error)}` };
}

/** A zod error as one readable line: where, then what, for the first few issues. */
export function zodProblem(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.map(String).join('.');
    return `${where ? `${where}: ` : ''}${issue.message}`;
  });
  const more = error.issues.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

export function serializeManifest(manifest: CheckpointManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function areaOf(manifest: CheckpointManifest, role: AreaRole): ManifestArea | undefined {
  return manifest.areas.find((area) => area.role === role);
}

/** Total stored bytes of a checkpoint's objects (manifest excluded). */
export function manifestSize(manifest: CheckpointManifest): number {
  return manifest.objects.reduce((sum, object) => sum + object.size, 0);
}
