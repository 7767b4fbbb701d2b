// Looking for known secret values in bytes. Pure: the callers stream file or object contents in.

// Shorter values match ordinary text everywhere (a one-character "secret" would drop every file);
// such values are not secret in any useful sense and the runner does not mask them either.
export const MIN_SECRET_LENGTH = 4;

/**
 * The byte strings to look for: each secret as is, and the form JSON gives it when it has
 * characters JSON escapes (transcripts and session stores are JSON).
 */
export function secretNeedles(secrets: readonly string[]): Buffer[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...forms].map((form) => Buffer.from(form, 'utf8'));
}

/** Incremental search over a byte stream; a needle split across two chunks is still found. */
export class SecretScanner {
  private tail: Buffer = Buffer.alloc(0);
  private hit = false;
  private readonly keep: number;

  constructor(private readonly needles: readonly Buffer[]) {
    this.keep = Math.max(0, ...needles.map((needle) => needle.length - 1));
  }

  get found(): boolean {
    return this.hit;
  }

  update(chunk: Buffer): void {
    if (this.hit || this.needles.length === 0 || chunk.length === 0) return;
    // Only the seam is copied (the tail and the chunk's first bytes): a needle across two chunks
    // lies within it, so a 4 MiB chunk is searched in place, not copied once more.
    const seam = this.tail.length === 0 ? undefined : Buffer.concat([this.tail, chunk.subarray(0, this.keep)]);
    if (this.needles.some((needle) => chunk.includes(needle) || (seam !== undefined && seam.includes(needle)))) {
      this.hit = true;
      return;
    }
    // A copy, so the tail does not pin the whole (possibly large) chunk in memory.
    const window = chunk.length >= this.keep || seam === undefined ? chunk : seam;
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - this.keep)));
  }

  /** Moves past bytes known to be clean (scanned before): only their end is kept, for the seam. */
  carry(chunk: Buffer): void {
    if (this.hit || this.needles.length === 0 || chunk.length === 0) return;
    const window = chunk.length >= this.keep ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - this.keep)));
  }
}

export function containsSecret(data: Buffer | string, needles: readonly Buffer[]): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return needles.some((needle) => bytes.includes(needle));
}

/** A deep copy of a JSON-like value with every secret occurrence in its strings replaced. */
export function redactSecrets(value: unknown, secrets: readonly string[]): unknown {
  const forms = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  const visit = (item: unknown): unknown => {
    if (typeof item === 'string') return forms.reduce((text, secret) => text.split(secret).join('***'), item);
    if (Array.isArray(item)) return item.map(visit);
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [visit(key), visit(inner)]));
    }
    return item;
  };
  return visit(value);
}
