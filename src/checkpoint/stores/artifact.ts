/**
 * Checkpoints as workflow artifacts: one artifact per checkpoint, named
 * `durable-agent-<checkpointId>-a<attempt>-<sequence, 6 digits>`, holding manifest.json and every
 * object it needs (self-contained: the final checkpoint of a job attempt, for when the cache evicted
 * its objects), zipped at level 0.
 *
 * Artifact names are unique within a run, across its attempts, so the attempt is part of the name
 * and a repeated name is refused (409) rather than replaced. With the runtime token alone the
 * results service shows only the current attempt's artifacts; with a token (`actions: read`) the
 * store lists and downloads through the REST API (`findBy`), which sees every attempt of the run, so
 * a re-run finds what attempt 1 saved. prune deletes only the current attempt's older artifacts (the
 * runtime token cannot delete another attempt's); the rest expire with their retention.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactClient, FindOptions } from '@actions/artifact';
import { loadActionsSdk } from '../../load-actions-sdk.js';
import type { CheckpointRef, Lineage, SaveRequest, Store } from '../store.js';
import type { StoreLog } from './actions-cache.js';
import { parseSequenceLabel } from '../lineage.js';
import { formatSequence } from './lineage-key.js';
import type { RunContext } from '../../run-context.js';
import { errorMessage } from '../../error-message.js';

export interface ArtifactStoreOptions {
  log: StoreLog;
  /** A token with `actions: read` (GITHUB_TOKEN): lists and downloads across the run's attempts. */
  token?: string;
  /** Days before a checkpoint artifact expires; default the repository's retention. */
  retentionDays?: number;
  /** Zip level 0-9; default 0: a checkpoint's objects are zstd already (or do not compress). */
  compressionLevel?: number;
  /** The job's run: its attempt is the one whose artifacts prune may delete; its repository and run id find artifacts when no lineage is at hand. */
  run: Pick<RunContext, 'runAttempt' | 'repository' | 'runId'>;
}

type FindBy = NonNullable<FindOptions['findBy']>;

/** What the store remembers about an artifact it listed or uploaded, to download it by id. */
interface Known {
  id: number;
  digest: string | undefined;
}

// Characters artifact names may not contain (the client rejects them); escaped like URL bytes so
// two different checkpoint ids never map to the same name.
const FORBIDDEN_IN_NAME = /["%:<>|*?\r\n\\/]/g;

export function artifactNamePrefix(checkpointId: string): string {
  const safe = checkpointId.replace(FORBIDDEN_IN_NAME, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `durable-agent-${safe}-a`;
}

export function artifactName(checkpointId: string, attempt: number, sequence: number): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`a run attempt must be a positive integer, got ${attempt}`);
  return `${artifactNamePrefix(checkpointId)}${attempt}-${formatSequence(sequence)}`;
}

/**
 * An artifact name back to its run attempt and sequence; with `checkpointId`, only a name of that id
 * (an exact shape after its prefix, so the id `x` never claims the artifacts of the id `x-a1`).
 */
export function parseArtifactName(name: string, checkpointId?: string): { attempt: number; sequence: number } | undefined {
  let match: RegExpExecArray | null;
  if (checkpointId === undefined) {
    match = /^durable-agent-.+-a(\d{1,9})-(\d+)$/.exec(name);
  } else {
    const prefix = artifactNamePrefix(checkpointId);
    match = name.startsWith(prefix) ? /^(\d{1,9})-(\d+)$/.exec(name.slice(prefix.length)) : null;
  }
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const attempt = Number(match[1]);
  // An absurd sequence (junk, or planted) is not a checkpoint: taking it would push later saves out of range.
  const sequence = parseSequenceLabel(match[2]);
  return attempt >= 1 && sequence !== undefined ? { attempt, sequence } : undefined;
}

async function filesIn(dir: string): Promise<{ files: string[]; bytes: number }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  return { files, bytes: sizes.reduce((sum, size) => sum + size, 0) };
}

export class ArtifactStore implements Store {
  readonly name = 'artifact' as const;
  #client: ArtifactClient | undefined;

  /** The artifact client, made on first use (its SDK is loaded only then). */
  async #artifacts(): Promise<ArtifactClient> {
    this.#client ??= new (await loadActionsSdk()).DefaultArtifactClient();
    return this.#client;
  }
  readonly #log: StoreLog;
  readonly #token: string | undefined;
  readonly #retentionDays: number | undefined;
  readonly #compressionLevel: number | undefined;
  readonly #run: ArtifactStoreOptions['run'];
  readonly #known = new Map<string, Known>();

  constructor(options: ArtifactStoreOptions) {
    this.#log = options.log;
    this.#token = options.token;
    this.#retentionDays = options.retentionDays;
    this.#compressionLevel = options.compressionLevel ?? 0;
    this.#run = options.run;
  }

  async save(request: SaveRequest): Promise<CheckpointRef> {
    const name = artifactName(request.lineage.checkpointId, request.attempt, request.sequence);
    const { files, bytes } = await filesIn(request.dir);
    if (files.length === 0) throw new Error(`checkpoint ${name} was not uploaded: ${request.dir} holds no files`);
    let uploaded: { id?: number; size?: number; digest?: string };
    try {
      uploaded = await (await this.#artifacts()).uploadArtifact(name, files, path.resolve(request.dir), {
        ...(this.#retentionDays === undefined ? {} : { retentionDays: this.#retentionDays }),
        ...(this.#compressionLevel === undefined ? {} : { compressionLevel: this.#compressionLevel }),
      });
    } catch (error) {
      if (/\(409\)/.test(errorMessage(error))) {
        throw new Error(`checkpoint ${name} was not uploaded: an artifact with this name already exists in run ${request.lineage.runId}, and artifacts cannot be replaced`, {
          cause: error,
        });
      }
      throw new Error(`checkpoint ${name} was not uploaded as an artifact: ${errorMessage(error)}`, { cause: error });
    }
    if (uploaded.id !== undefined) this.#known.set(name, { id: uploaded.id, digest: uploaded.digest === undefined ? undefined : `sha256:${uploaded.digest}` });
    return {
      key: name,
      sequence: request.sequence,
      attempt: request.attempt,
      createdAt: request.createdAt,
      sizeBytes: uploaded.size ?? bytes,
      store: this.name,
    };
  }

  async list(lineage: Lineage): Promise<CheckpointRef[]> {
    const findBy = this.#findBy(lineage);
    let artifacts;
    try {
      ({ artifacts } = await (await this.#artifacts()).listArtifacts(findBy === undefined ? {} : { findBy }));
    } catch (error) {
      throw new Error(`could not list checkpoint artifacts of run ${lineage.runId}: ${errorMessage(error)}`, { cause: error });
    }
    const refs: CheckpointRef[] = [];
    for (const artifact of artifacts) {
      const parsed = parseArtifactName(artifact.name, lineage.checkpointId);
      if (parsed === undefined) continue;
      this.#known.set(artifact.name, { id: artifact.id, digest: artifact.digest });
      refs.push({
        key: artifact.name,
        sequence: parsed.sequence,
        attempt: parsed.attempt,
        createdAt: artifact.createdAt?.toISOString() ?? '',
        sizeBytes: artifact.size,
        store: this.name,
      });
    }
    return refs.sort((a, b) => b.sequence - a.sequence || b.attempt - a.attempt);
  }

  async fetch(ref: CheckpointRef, intoDir: string): Promise<void> {
    const findBy = this.#findBy(undefined);
    try {
      const known = this.#known.get(ref.key) ?? (await this.#lookUp(ref.key, findBy));
      await mkdir(intoDir, { recursive: true });
      const result = await (await this.#artifacts()).downloadArtifact(known.id, {
        path: intoDir,
        ...(findBy === undefined ? {} : { findBy }),
        ...(known.digest === undefined ? {} : { expectedHash: known.digest }),
      });
      if (result.digestMismatch === true) throw new Error(`its content does not match the digest ${known.digest ?? ''} recorded at upload`);
    } catch (error) {
      throw new Error(`checkpoint ${ref.key} could not be downloaded: ${errorMessage(error)}`, { cause: error });
    }
  }

  async prune(lineage: Lineage, keep: number): Promise<number> {
    if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`keep must be a non-negative integer, got ${keep}`);
    const doomed = (await this.list(lineage)).slice(keep).filter((ref) => ref.attempt === this.#run.runAttempt);
    let deleted = 0;
    for (const ref of doomed) {
      try {
        await (await this.#artifacts()).deleteArtifact(ref.key);
        this.#known.delete(ref.key);
        deleted++;
      } catch (error) {
        this.#log.warning(`Could not delete the older checkpoint artifact ${ref.key} (${errorMessage(error)}); it and older ones stay until their retention ends.`);
        break;
      }
    }
    return deleted;
  }

  async #lookUp(name: string, findBy: FindBy | undefined): Promise<Known> {
    const { artifact } = await (await this.#artifacts()).getArtifact(name, findBy === undefined ? {} : { findBy });
    const known = { id: artifact.id, digest: artifact.digest };
    this.#known.set(name, known);
    return known;
  }

  /**
   * The REST lookup for the lineage's run; the run of the current job when no lineage is at hand
   * (downloads by id ignore the run).
   */
  #findBy(lineage: Lineage | undefined): FindBy | undefined {
    if (this.#token === undefined) return undefined;
    const repository = lineage?.repository ?? this.#run.repository ?? '';
    const [repositoryOwner = '', repositoryName = ''] = repository.split('/');
    const workflowRunId = Number(lineage?.runId ?? this.#run.runId);
    if (repositoryOwner === '' || repositoryName === '' || !Number.isSafeInteger(workflowRunId)) return undefined;
    return { token: this.#token, workflowRunId, repositoryOwner, repositoryName };
  }
}
