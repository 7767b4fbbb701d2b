// The checkpoint library's public face: what the run loop, the CLI and the other stores use.
export {
  createCheckpoint,
  readValidManifest,
  restoreCheckpoint,
  restoreLatest,
  type CreateCheckpointOptions,
  type CreatedCheckpoint,
  type RestoreCheckpointOptions,
  type RestoreLatestOptions,
  type RestoreResult,
  type RestoredCheckpoint,
} from './checkpoint.js';
export { CheckpointRejected, type RejectionKind } from './errors.js';
export { workspaceFingerprint } from './fingerprint.js';
export { formatSequence, lineageHash, newestFirst, nextSequence, parseSequenceLabel } from './lineage.js';
export { LocalStore } from './local-store.js';
export {
  MANIFEST_FILE,
  OBJECTS_DIR,
  manifestSchema,
  parseManifest,
  type CheckpointManifest,
  type ExcludedFile,
  type FileRole,
  type ManifestArea,
  type ManifestObject,
} from './manifest.js';
export type { CheckpointRef, Lineage, SaveRequest, Store, StoreName } from './store.js';
