// How checkpoints look to a person: the list's table and JSON rows, a manifest, an attempt entry.
// Pure, unit-tested.
import { lineageHash, MANIFEST_FILE, type CheckpointManifest, type CheckpointRef, type Lineage } from '../../checkpoint/index.js';
import { formatBytes, formatDuration } from '../../format.js';
import type { AttemptEntry } from '../../runner/attempt-entry.js';

export function describeLineage(lineage: Lineage): string {
  return `${lineage.repository} / ${lineage.workflow} / ${lineage.job} / ${lineage.checkpointId} / run ${lineage.runId}`;
}

export interface CheckpointRow {
  readonly lineageHash: string;
  readonly lineage: Lineage | undefined;
  readonly ref: CheckpointRef;
}

/** `2026-05-01 12:34:56Z`; `-` when the store does not know (a cache entry before it is fetched). */
export function formatTime(iso: string): string {
  if (iso === '') return '-';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function lineageCell(hash: string, lineage: Lineage | undefined): string {
  return lineage === undefined ? `${hash.slice(0, 8)} ?` : `${hash.slice(0, 8)} ${lineage.checkpointId} run ${lineage.runId}`;
}

export function formatCheckpointTable(rows: readonly CheckpointRow[]): string {
  const header = ['LINEAGE', 'SEQ', 'TIME', 'SIZE', 'ATTEMPT', 'STORE', 'KEY'];
  const alignRight = new Set([1, 3, 4]);
  const cells = rows.map(({ lineageHash: hash, lineage, ref }) => [
    lineageCell(hash, lineage),
    String(ref.sequence),
    formatTime(ref.createdAt),
    ref.sizeBytes > 0 ? formatBytes(ref.sizeBytes) : '-',
    ref.attempt > 0 ? String(ref.attempt) : '-',
    ref.store,
    ref.key,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        if (column === row.length - 1) return cell;
        return alignRight.has(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [header, ...cells].map(line).join('\n');
}

/** A row for --json: unknowns (a cache entry's time, size, attempt before download) are null. */
export function jsonRow({ lineageHash: hash, lineage, ref }: CheckpointRow): Record<string, unknown> {
  return {
    lineageHash: hash,
    lineage: lineage ?? null,
    key: ref.key,
    sequence: ref.sequence,
    attempt: ref.attempt > 0 ? ref.attempt : null,
    createdAt: ref.createdAt === '' ? null : ref.createdAt,
    sizeBytes: ref.sizeBytes > 0 ? ref.sizeBytes : null,
    store: ref.store,
  };
}

/** One entry of the manifest's attempt history, in a line. */
export function formatAttemptEntry(entry: AttemptEntry): string {
  const { runAttempt, number, mode, outcome, reason } = entry;
  const parts = [`run attempt ${runAttempt}, attempt ${number} (${mode}): ${outcome}${reason === outcome ? '' : ` (${reason})`}`];
  parts.push(`started ${formatTime(entry.startedAt)}`, `took ${formatDuration(entry.durationMs)}`);
  if (entry.turns !== undefined) parts.push(`${entry.turns} turns`);
  if (entry.costUsd !== undefined) parts.push(`$${entry.costUsd.toFixed(4)}`);
  if (entry.apiRetries > 0) parts.push(`${entry.apiRetries} API retries`);
  return parts.join(', ');
}

export interface ShowContext {
  readonly key: string;
  readonly store: string;
  /** Folder of a local checkpoint. */
  readonly location?: string | undefined;
  /** The integrity check's outcome: undefined when it passed, else the reason. */
  readonly problem: string | undefined;
  /** Bytes of the manifest file itself. */
  readonly manifestBytes: number;
}

export function formatManifest(manifest: CheckpointManifest, about: ShowContext): string {
  const { workspace } = manifest;
  const lines: string[] = [];
  const field = (label: string, value: string): void => {
    lines.push(`${`${label}:`.padEnd(14)}${value}`);
  };
  lines.push(`Checkpoint ${about.key} (${about.store} store${about.location === undefined ? '' : `, ${about.location}`})`);
  field('Lineage', `${describeLineage(manifest.lineage)} (hash ${lineageHash(manifest.lineage)})`);
  field('Sequence', String(manifest.sequence));
  field('Run attempt', String(manifest.attempt));
  field('Created', formatTime(manifest.createdAt));
  field('Agent', manifest.agent);
  field('Session', manifest.sessionId ?? '(none)');
  field('Work tree', workspace.path);
  field('Base', workspace.base);
  field('Head', `${workspace.head}${workspace.branch === null ? ' (detached)' : ` on branch ${workspace.branch}`}`);
  if (workspace.omitted !== null) field('Workspace', `not saved: ${workspace.omitted}`);
  else field('Changes', workspace.changes === null ? '(none: the work tree was clean at head)' : `listing ${workspace.changes.slice(0, 16)}…${workspace.bundle === null ? '' : `, commits in a ${formatBytes(workspace.bundle.size)} bundle`}`);
  if (manifest.checkpointPaths.trim() !== '') field('Paths', manifest.checkpointPaths.trim().split('\n').map((line) => line.trim()).join(', '));
  if (manifest.extraDir !== null) field('Extra folder', manifest.extraDir);
  if (manifest.agentStateDir !== null) field('Agent state', manifest.agentStateDir);
  field('Totals', `$${manifest.totals.costUsd.toFixed(4)}, ${manifest.totals.turns} turns`);
  lines.push(`Attempts (${manifest.attempts.length}):`);
  for (const entry of manifest.attempts) lines.push(`  ${formatAttemptEntry(entry)}`);
  lines.push('Contents:');
  const rows = [
    ...manifest.areas.map((area) => [area.role, `${area.files} files`, formatBytes(area.bytes), `listing ${area.tree.slice(0, 16)}…`]),
    [MANIFEST_FILE, 'manifest', formatBytes(about.manifestBytes), `${manifest.objects.length} objects`],
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) {
    lines.push(`  ${(row[0] ?? '').padEnd(widths[0] ?? 0)}  ${(row[1] ?? '').padEnd(widths[1] ?? 0)}  ${(row[2] ?? '').padStart(widths[2] ?? 0)}  ${row[3] ?? ''}`.trimEnd());
  }
  const total = manifest.objects.reduce((sum, object) => sum + object.size, about.manifestBytes);
  lines.push(`  total ${formatBytes(total)} stored`);
  if (manifest.excluded.length > 0) {
    lines.push('Left out (held a secret value):');
    for (const excluded of manifest.excluded) lines.push(`  ${excluded.area}: ${excluded.path}`);
  }
  field('Check', about.problem === undefined ? 'ok (every object matches its size and sha256)' : `FAILED: ${about.problem}`);
  return lines.join('\n');
}
