// The contract between the checkpoint pipeline and where checkpoints are kept (a local folder,
// the Actions cache, artifacts). A checkpoint is one folder: manifest.json plus objects/<id>, the
// content-addressed objects it names; a store keeps an object once per lineage.

/** What a re-run resumes: checkpoints of one lineage continue each other. */
export interface Lineage {
  readonly repository: string;
  readonly workflow: string;
  readonly job: string;
  /** Caller-chosen id; its default tells matrix legs apart. */
  readonly checkpointId: string;
  readonly runId: string;
}

export type StoreName = 'local' | 'cache' | 'artifact';

/** One stored checkpoint, as a store lists it. */
export interface CheckpointRef {
  /** Store-specific key (cache key, artifact name, folder name); unique within the store. */
  readonly key: string;
  readonly sequence: number;
  readonly attempt: number;
  readonly createdAt: string;
  /** Stored bytes of the whole checkpoint (0 when the store does not know before fetching). */
  readonly sizeBytes: number;
  /** Of those, the bytes this save added to the store (its objects the store lacked), when known. */
  readonly newBytes?: number;
  readonly store: StoreName;
}

export interface SaveRequest {
  /** Folder holding manifest.json and the files it lists; the store must not change it. */
  readonly dir: string;
  readonly lineage: Lineage;
  readonly sequence: number;
  readonly attempt: number;
  readonly createdAt: string;
}

export interface Store {
  readonly name: StoreName;
  /** Stores the folder; throws with a clear cause when it cannot (the caller warns and goes on). */
  save(request: SaveRequest): Promise<CheckpointRef>;
  /** Checkpoints of the lineage, newest (highest sequence) first. */
  list(lineage: Lineage): Promise<CheckpointRef[]>;
  /** Copies one checkpoint's files into an empty folder. */
  fetch(ref: CheckpointRef, intoDir: string): Promise<void>;
  /** Deletes all but the newest `keep`; returns how many were deleted. */
  prune(lineage: Lineage, keep: number): Promise<number>;
}
