/**
 * Credentials the emulator hands out and checks: the runtime token (a JWT shaped like the runner's),
 * GITHUB_TOKEN-like REST tokens, and signed blob URLs. All are signed with a per-emulator secret, so a
 * token from another emulator or a hand-made one is rejected the way GitHub rejects a forged one.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** Bits of a cache scope's permission, as the runner's `ac` claim carries them. */
export const CACHE_READ = 1;
export const CACHE_WRITE = 2;

export interface CacheScope {
  /** A ref, e.g. `refs/heads/main`. */
  scope: string;
  permission: number;
}

export interface RuntimeClaims {
  runBackendId: string;
  jobBackendId: string;
  runId: number;
  attempt: number;
  /** Searched in this order on restore; the first writable one receives saves. */
  cacheScopes: CacheScope[];
}

export interface RestGrant {
  /** `actions: write`: may delete caches and artifacts. */
  actionsWrite: boolean;
}

export type BlobPermission = 'r' | 'cw';

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class Credentials {
  readonly #secret = randomBytes(32);
  readonly #restTokens = new Map<string, RestGrant>();
  /** One backend id per run attempt, as the results service keys its artifacts. */
  readonly #runBackendIds = new Map<string, string>();

  #sign(text: string): string {
    return createHmac('sha256', this.#secret).update(text).digest('base64url');
  }

  runBackendId(runId: number, attempt: number): string {
    const key = `${runId}/${attempt}`;
    let id = this.#runBackendIds.get(key);
    if (id === undefined) {
      id = randomUUID();
      this.#runBackendIds.set(key, id);
    }
    return id;
  }

  /** An HS256 JWT; the clients only decode it (for the `scp` backend ids), the emulator verifies it. */
  issueRuntimeToken(claims: RuntimeClaims): string {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({
        iss: 'actions-emulator',
        aud: 'vso:actions-emulator',
        nbf: now - 60,
        exp: now + 6 * 3600,
        scp: `Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:${claims.runBackendId}:${claims.jobBackendId}`,
        // The runner's token lists cache scopes like this: a JSON string of {Scope, Permission}.
        ac: JSON.stringify(claims.cacheScopes.map((s) => ({ Scope: s.scope, Permission: s.permission }))),
        run_id: claims.runId,
        run_attempt: claims.attempt,
      }),
    );
    return `${header}.${payload}.${this.#sign(`${header}.${payload}`)}`;
  }

  verifyRuntimeToken(token: string): RuntimeClaims | undefined {
    const [header, payload, signature, ...rest] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) return undefined;
    if (!safeEqual(signature, this.#sign(`${header}.${payload}`))) return undefined;
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp: number;
      scp: string;
      ac: string;
      run_id: number;
      run_attempt: number;
    };
    if (body.exp * 1000 < Date.now()) return undefined;
    const results = body.scp.split(' ').find((part) => part.startsWith('Actions.Results:'));
    const [, runBackendId, jobBackendId] = results?.split(':') ?? [];
    if (runBackendId === undefined || jobBackendId === undefined) return undefined;
    const scopes = JSON.parse(body.ac) as { Scope: string; Permission: number }[];
    return {
      runBackendId,
      jobBackendId,
      runId: body.run_id,
      attempt: body.run_attempt,
      cacheScopes: scopes.map((s) => ({ scope: s.Scope, permission: s.Permission })),
    };
  }

  issueRestToken(grant: RestGrant): string {
    const token = `ghs_emulator${randomBytes(16).toString('hex')}`;
    this.#restTokens.set(token, { ...grant });
    return token;
  }

  restGrant(token: string): RestGrant | undefined {
    return this.#restTokens.get(token);
  }

  /** A SAS-like query: `sp` permission, `se` expiry, `sig` over both and the path. */
  signBlobUrl(base: string, blobPath: string, permission: BlobPermission, ttlMs: number): string {
    const expiry = new Date(Date.now() + ttlMs).toISOString();
    const query = new URLSearchParams({ sv: '2023-11-03', sr: 'b', sp: permission, se: expiry });
    query.set('sig', this.#sign(`${permission}\n${expiry}\n${blobPath}`));
    return `${base}${blobPath}?${query.toString()}`;
  }

  /** Whether the URL's signature is ours, unexpired, and grants `needed` ('r' or 'w'). */
  verifyBlobUrl(url: URL, needed: 'r' | 'w'): boolean {
    const permission = url.searchParams.get('sp') ?? '';
    const expiry = url.searchParams.get('se') ?? '';
    const signature = url.searchParams.get('sig') ?? '';
    if (!safeEqual(signature, this.#sign(`${permission}\n${expiry}\n${url.pathname}`))) return false;
    if (Number.isNaN(Date.parse(expiry)) || Date.parse(expiry) < Date.now()) return false;
    return permission.includes(needed);
  }
}
