// The paths `git status --porcelain=v2 -z --no-renames` names. Pure: text in, records out.

export interface StatusRecord {
  readonly path: string;
  readonly kind: 'changed' | 'unmerged' | 'untracked';
  /** A submodule (its own repository): not saved by the checkpoint. */
  readonly submodule: boolean;
}

export function parseStatus(output: string): StatusRecord[] {
  const records: StatusRecord[] = [];
  for (const record of output.split('\0')) {
    const kind = record.charAt(0);
    if (kind === '?') {
      records.push({ path: record.slice(2), kind: 'untracked', submodule: record.endsWith('/') });
      continue;
    }
    // Fields before the path: ordinary 8, unmerged 10 (renames are off, so no '2' records).
    const fields = kind === '1' ? 8 : kind === 'u' ? 10 : -1;
    if (fields < 0) continue;
    const parts = record.split(' ');
    const file = parts.slice(fields).join(' ');
    if (file === '') continue;
    records.push({ path: file, kind: kind === '1' ? 'changed' : 'unmerged', submodule: (parts[2] ?? 'N').startsWith('S') });
  }
  return records;
}
