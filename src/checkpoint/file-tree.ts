// The listing of one checkpointed folder (work-tree changes, experiment paths, the extra folder, the
// agent state), stored as an object of its own. Pure: schema, sizes and limits only.
import { z } from 'zod';

/** Files up to this size are packed together; larger ones are cut into chunks of CHUNK_SIZE. */
export const SMALL_FILE_LIMIT = 1024 * 1024;
/** Fixed-size chunks: an appended log or a growing file re-stores only its changed tail. */
export const CHUNK_SIZE = 4 * 1024 * 1024;
/** A pack is written once it holds this many bytes. */
export const PACK_TARGET = 4 * 1024 * 1024;
/** No object we write decodes to more than this; a larger one is refused as crafted. */
export const MAX_OBJECT_SIZE = PACK_TARGET + SMALL_FILE_LIMIT + CHUNK_SIZE;
/** A listing object may be larger (one line per file), but not without bound. */
export const MAX_TREE_SIZE = 256 * 1024 * 1024;
/** More entries than any real checkpoint has; 10⁷ tiny entries must not take the runner's memory. */
export const MAX_ENTRIES = 2_000_000;

const objectId = z.string().regex(/^[0-9a-f]{64}$/, 'an object id');
const count = z.number().int().nonnegative();

/** A byte range of an object's decoded content: [object id, offset, length]. */
export const segmentSchema = z.tuple([objectId, count, count]);
export type Segment = z.infer<typeof segmentSchema>;

export const treeEntrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('directory'), path: z.string().min(1), mode: count }),
  z.object({ kind: z.literal('symlink'), path: z.string().min(1), target: z.string().min(1) }),
  z.object({ kind: z.literal('file'), path: z.string().min(1), mode: count, size: count, segments: z.array(segmentSchema) }),
]);
export type FileTreeEntry = z.infer<typeof treeEntrySchema>;

export const fileTreeSchema = z
  .object({
    version: z.literal(1),
    entries: z.array(treeEntrySchema).max(MAX_ENTRIES),
    /** Paths removed relative to the base (work-tree deletions); only the workspace's listing has them. */
    deleted: z.array(z.string().min(1)).max(MAX_ENTRIES),
  })
  .superRefine((tree, context) => {
    for (const [index, entry] of tree.entries.entries()) {
      if (entry.kind !== 'file') continue;
      const total = entry.segments.reduce((sum, [, , length]) => sum + length, 0);
      if (total !== entry.size) context.addIssue({ code: 'custom', message: `segments of '${entry.path}' add up to ${total}, not ${entry.size}`, path: ['entries', index] });
    }
  });
export type FileTree = z.infer<typeof fileTreeSchema>;

/** The object ids a listing references. */
export function treeObjects(tree: FileTree): Set<string> {
  const ids = new Set<string>();
  for (const entry of tree.entries) if (entry.kind === 'file') for (const [id] of entry.segments) ids.add(id);
  return ids;
}

export function treeBytes(tree: FileTree): number {
  return tree.entries.reduce((sum, entry) => sum + (entry.kind === 'file' ? entry.size : 0), 0);
}
