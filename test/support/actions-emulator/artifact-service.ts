/**
 * The results service's ArtifactService (twirp, artifacts v4) and the REST artifact endpoints.
 * Like GitHub: a name is unique within a run, across its attempts (a repeat is a 409); the twirp
 * side (runtime token) sees only the current attempt's artifacts, while the REST side (a token and a
 * run id, the client's `findBy`) lists every attempt of the run and downloads through a 302 to a
 * signed blob URL.
 */
import { z } from 'zod';
import type { StoredBlob } from './blobs.js';
import type { ServiceContext } from './context.js';
import { RestError, TwirpError, twirpCodeFor } from './http.js';
import type { RestAnswer } from './http.js';
import type { RuntimeClaims } from './tokens.js';

export interface StoredArtifact {
  readonly id: number;
  readonly runId: number;
  readonly attempt: number;
  readonly runBackendId: string;
  readonly jobBackendId: string;
  readonly name: string;
  readonly blob: StoredBlob;
  readonly mimeType: string | undefined;
  readonly createdAt: Date;
  /** From the upload's retention; undefined means the repository default. */
  readonly expiresAt: Date | undefined;
  size: number;
  /** `sha256:<hex>` as the client reported it on finalize. */
  digest: string | undefined;
  finalized: boolean;
}

const BackendIds = { workflow_run_backend_id: z.string(), workflow_job_run_backend_id: z.string() };
const CreateRequest = z.object({
  ...BackendIds,
  name: z.string(),
  expires_at: z.string().optional(),
  version: z.number().optional(),
  mime_type: z.string().optional(),
});
const FinalizeRequest = z.object({ ...BackendIds, name: z.string(), size: z.union([z.string(), z.number()]).optional(), hash: z.string().optional() });
const ListRequest = z.object({ ...BackendIds, name_filter: z.string().optional(), id_filter: z.union([z.string(), z.number()]).optional() });
const NamedRequest = z.object({ ...BackendIds, name: z.string() });

const UPLOAD_URL_TTL_MS = 60 * 60 * 1000;
const DOWNLOAD_URL_TTL_MS = 10 * 60 * 1000;

function parse<T extends { workflow_run_backend_id: string }>(schema: z.ZodType<T>, body: unknown, claims: RuntimeClaims): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new TwirpError('invalid_argument', z.prettifyError(result.error));
  // The service ties every call to the run the token was issued for.
  if (result.data.workflow_run_backend_id !== claims.runBackendId) throw new TwirpError('permission_denied', 'the token does not belong to this workflow run');
  return result.data;
}

export class ArtifactService {
  readonly #ctx: ServiceContext;
  readonly #artifacts: StoredArtifact[] = [];

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  get artifacts(): readonly StoredArtifact[] {
    return this.#artifacts;
  }

  delete(id: number): boolean {
    const index = this.#artifacts.findIndex((a) => a.id === id);
    const artifact = this.#artifacts[index];
    if (artifact === undefined) return false;
    this.#artifacts.splice(index, 1);
    this.#ctx.blobs.delete(artifact.blob.path);
    return true;
  }

  async twirp(method: string, claims: RuntimeClaims, body: unknown): Promise<unknown> {
    switch (method) {
      case 'CreateArtifact':
        return this.#create(claims, parse(CreateRequest, body, claims));
      case 'FinalizeArtifact':
        return this.#finalize(claims, parse(FinalizeRequest, body, claims));
      case 'ListArtifacts':
        return this.#list(claims, parse(ListRequest, body, claims));
      case 'GetSignedArtifactURL':
        return this.#signedUrl(this.#current(claims, parse(NamedRequest, body, claims).name));
      case 'DeleteArtifact': {
        const artifact = this.#current(claims, parse(NamedRequest, body, claims).name);
        this.delete(artifact.id);
        return { ok: true, artifact_id: String(artifact.id) };
      }
      default:
        throw new TwirpError('not_found', `no method ArtifactService/${method}`);
    }
  }

  #current(claims: RuntimeClaims, name: string): StoredArtifact {
    const artifact = this.#artifacts.find((a) => a.finalized && a.runBackendId === claims.runBackendId && a.name === name);
    if (artifact === undefined) throw new TwirpError('not_found', 'artifact not found');
    return artifact;
  }

  #create(claims: RuntimeClaims, request: z.infer<typeof CreateRequest>): unknown {
    const fault = this.#ctx.takeFault('createArtifact');
    if (fault) throw new TwirpError(twirpCodeFor(fault.status), 'injected fault: CreateArtifact failed', fault.status);
    if (this.#artifacts.some((a) => a.runId === claims.runId && a.name === request.name)) {
      throw new TwirpError('already_exists', 'an artifact with this name already exists on the workflow run');
    }
    const id = this.#ctx.nextId();
    const blob = this.#ctx.blobs.create('actions-results', `${claims.runBackendId}/${claims.jobBackendId}/${id}.zip`);
    this.#artifacts.push({
      id,
      runId: claims.runId,
      attempt: claims.attempt,
      runBackendId: claims.runBackendId,
      jobBackendId: claims.jobBackendId,
      name: request.name,
      blob,
      mimeType: request.mime_type,
      createdAt: new Date(),
      expiresAt: request.expires_at === undefined ? undefined : new Date(request.expires_at),
      size: 0,
      digest: undefined,
      finalized: false,
    });
    return { ok: true, signed_upload_url: this.#ctx.signBlobUrl(blob, 'cw', UPLOAD_URL_TTL_MS) };
  }

  async #finalize(claims: RuntimeClaims, request: z.infer<typeof FinalizeRequest>): Promise<unknown> {
    const artifact = this.#artifacts.find((a) => !a.finalized && a.runBackendId === claims.runBackendId && a.name === request.name);
    if (artifact === undefined) throw new TwirpError('not_found', 'no artifact with this name is being uploaded');
    await this.#ctx.loadBlob(artifact.blob);
    if (artifact.blob.data === undefined) throw new TwirpError('invalid_argument', 'the artifact content was not uploaded');
    artifact.size = artifact.blob.data.length;
    artifact.digest = request.hash;
    artifact.finalized = true;
    artifact.blob.sealed = true;
    return { ok: true, artifact_id: String(artifact.id) };
  }

  #list(claims: RuntimeClaims, request: z.infer<typeof ListRequest>): unknown {
    const matching = this.#artifacts.filter(
      (a) =>
        a.finalized &&
        a.runBackendId === claims.runBackendId &&
        (request.name_filter === undefined || a.name === request.name_filter) &&
        (request.id_filter === undefined || String(a.id) === String(request.id_filter)),
    );
    return {
      artifacts: matching.map((a) => ({
        workflow_run_backend_id: a.runBackendId,
        workflow_job_run_backend_id: a.jobBackendId,
        database_id: String(a.id),
        name: a.name,
        size: String(a.size),
        created_at: a.createdAt.toISOString(),
        ...(a.digest === undefined ? {} : { digest: a.digest }),
      })),
    };
  }

  #signedUrl(artifact: StoredArtifact): { signed_url: string } {
    return { signed_url: this.#ctx.signBlobUrl(artifact.blob, 'r', DOWNLOAD_URL_TTL_MS) };
  }

  /** `/repos/{o}/{r}/actions/{runs/{id}/artifacts | artifacts/...}`, after the router checked repository and token. */
  rest(method: string, rest: string[], url: URL, actionsWrite: boolean): RestAnswer {
    const [first, second, third, fourth, ...extra] = rest;
    if (extra.length > 0) throw new RestError(404, 'Not Found');
    if (method === 'GET' && first === 'runs' && third === 'artifacts' && fourth === undefined) {
      const name = url.searchParams.get('name');
      const matching = this.#artifacts.filter((a) => a.finalized && String(a.runId) === second && (name === null || a.name === name));
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? '30'), 100);
      const page = Number(url.searchParams.get('page') ?? '1');
      return {
        status: 200,
        body: { total_count: matching.length, artifacts: matching.slice((page - 1) * perPage, page * perPage).map((a) => this.#restArtifact(a)) },
      };
    }
    if (first !== 'artifacts' || fourth !== undefined) throw new RestError(404, 'Not Found');
    const artifact = this.#artifacts.find((a) => a.finalized && String(a.id) === second);
    if (artifact === undefined) throw new RestError(404, 'Not Found');
    if (method === 'GET' && third === undefined) return { status: 200, body: this.#restArtifact(artifact) };
    if (method === 'GET' && third === 'zip') return { status: 302, headers: { location: this.#signedUrl(artifact).signed_url } };
    if (method === 'DELETE' && third === undefined) {
      if (!actionsWrite) throw new RestError(403, 'Resource not accessible by integration');
      this.delete(artifact.id);
      return { status: 204 };
    }
    throw new RestError(404, 'Not Found');
  }

  #restArtifact(a: StoredArtifact): Record<string, unknown> {
    const { owner, name, id: repositoryId } = this.#ctx.repository;
    const api = `${this.#ctx.baseUrl}/repos/${owner}/${name}/actions/artifacts/${a.id}`;
    return {
      id: a.id,
      node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
      name: a.name,
      size_in_bytes: a.size,
      url: api,
      archive_download_url: `${api}/zip`,
      expired: false,
      digest: a.digest ?? null,
      created_at: a.createdAt.toISOString(),
      updated_at: a.createdAt.toISOString(),
      expires_at: a.expiresAt?.toISOString() ?? null,
      workflow_run: { id: a.runId, repository_id: repositoryId, head_repository_id: repositoryId, head_branch: 'main', head_sha: '0'.repeat(40) },
    };
  }
}
