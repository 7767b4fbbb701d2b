// Shared pieces of the benchmark: timing, statistics, child processes, rows and the table.
import { spawn, type SpawnOptions } from 'node:child_process';
import { mkdir, readdir, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../test/support/run-action.js';

export { REPO_ROOT };

/** Wall clock in milliseconds with sub-millisecond resolution (comparable across processes). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export async function timed<T>(body: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await body();
  return { ms: performance.now() - started, value };
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (Math.abs(ms) >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export const MB = 1_000_000;

// ── child processes ──────────────────────────────────────────────────────────────────────────

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a command (no shell unless asked for with `sh -c`), collecting output; rejects on a non-zero exit. */
export function command(file: string, args: readonly string[], options: SpawnOptions & { okCodes?: readonly number[]; input?: string } = {}): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const result = { code, stdout, stderr, ms: performance.now() - started };
      if (code !== null && (options.okCodes ?? [0]).includes(code)) resolve(result);
      else reject(new Error(`${file} ${args.join(' ').slice(0, 200)} failed (${code ?? 'killed'}): ${stderr.slice(-2000)}`));
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

export function sh(script: string, options: SpawnOptions = {}): Promise<CommandResult> {
  return command('bash', ['-c', `set -euo pipefail\n${script}`], options);
}

/** Single-quotes a word for bash. */
export function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Bundles a bench entry (packages external, found in the checkout's node_modules) and returns the file. */
export async function bundleEntry(entry: string): Promise<string> {
  // In the checkout (tmp/ is ignored), not in node_modules: node_modules may be a link shared by
  // several checkouts, whose bundles would overwrite each other and whose profiles would name the
  // sources of the link's target.
  const outDir = path.join(REPO_ROOT, 'tmp', 'bench-bundles');
  await mkdir(outDir, { recursive: true });
  const outfile = path.join(outDir, `${path.basename(entry, '.ts')}.mjs`);
  await build({ entryPoints: [path.join(REPO_ROOT, entry)], outfile, bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node24', sourcemap: true, logLevel: 'warning' });
  return outfile;
}

/**
 * Builds the action with the project's own build script (`npm run build` is `node scripts/build.mjs`,
 * which writes ./dist of its working folder) into a private folder: src/, node_modules/ and the
 * configuration are linked in, so the output is what `npm run build` makes, while a concurrent build
 * of the checkout's dist/ cannot pull files out from under a running case. Returns the dist folder.
 */
export async function buildDist(into: string): Promise<{ dist: string; ms: number }> {
  await mkdir(into, { recursive: true });
  for (const name of ['src', 'node_modules', 'package.json', 'tsconfig.json']) await symlink(path.join(REPO_ROOT, name), path.join(into, name));
  const { ms } = await command(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: into });
  return { dist: path.join(into, 'dist'), ms };
}

export async function folderSize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
    files += 1;
  }
  return { bytes, files };
}

// ── rows and the table ───────────────────────────────────────────────────────────────────────

export type Unit = 'ms' | 'bytes' | 'MB/s' | 'MB' | 'x';

/**
 * One target. `compare` says what is checked: `ratio` (ours / baseline, lower is better unless
 * `higherIsBetter`), `value` (ours against an absolute limit), or `added` (ours − baseline).
 */
export interface Target {
  readonly compare: 'ratio' | 'value' | 'added';
  readonly limit: number;
  readonly higherIsBetter?: boolean;
  /** Strict (<) rather than ≤ (or > rather than ≥). */
  readonly strict?: boolean;
}

export interface Row {
  readonly id: string;
  readonly name: string;
  readonly unit: Unit;
  readonly ours: number;
  readonly baseline: number;
  readonly baselineLabel: string;
  readonly target: Target;
  /** Samples behind the medians (for the JSON record). */
  readonly samples?: { readonly ours: readonly number[]; readonly baseline: readonly number[] } | undefined;
  readonly notes?: readonly string[] | undefined;
}

export interface Verdict {
  readonly ratio: number;
  readonly pass: boolean;
  /** How far past the limit, in words, when missed. */
  readonly miss: string | undefined;
  readonly targetText: string;
}

export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 'ms':
      return formatMs(value);
    case 'bytes':
      return formatBytes(value);
    case 'MB/s':
      return `${value.toFixed(value >= 100 ? 0 : 1)} MB/s`;
    case 'MB':
      return `${value.toFixed(1)} MB`;
    case 'x':
      return `${value.toFixed(2)}×`;
  }
}

export function judge(row: Row): Verdict {
  const { target } = row;
  const ratio = row.ours / row.baseline;
  const measured = target.compare === 'ratio' ? ratio : target.compare === 'added' ? row.ours - row.baseline : row.ours;
  const higher = target.higherIsBetter === true;
  const pass = higher ? (target.strict ? measured > target.limit : measured >= target.limit) : target.strict ? measured < target.limit : measured <= target.limit;
  const op = higher ? (target.strict ? '>' : '≥') : target.strict ? '<' : '≤';
  const limitText = target.compare === 'ratio' ? `${target.limit}× baseline` : target.compare === 'added' ? `+${formatValue(target.limit, row.unit)} added` : formatValue(target.limit, row.unit);
  const targetText = `${op} ${limitText}`;
  let miss: string | undefined;
  if (!pass && Number.isFinite(measured)) {
    const shown = target.compare === 'ratio' ? `${measured.toFixed(2)}×` : target.compare === 'added' ? `+${formatValue(measured, row.unit)}` : formatValue(measured, row.unit);
    // The gap in the case's own unit (for a ratio: how much ours would have to change).
    const gap = target.compare === 'ratio' ? Math.abs(row.ours - target.limit * row.baseline) : Math.abs(measured - target.limit);
    const factor = higher ? target.limit / measured : measured / target.limit;
    miss = `${shown} vs ${targetText}: ${formatValue(gap, row.unit)} ${higher ? 'short' : 'over'}, ${factor.toFixed(2)}× off`;
  } else if (!pass) {
    miss = 'not measured';
  }
  return { ratio, pass, miss, targetText };
}

export function renderTable(rows: readonly Row[]): string {
  const header = ['case', 'ours', 'baseline', 'ratio', 'target', 'pass/fail'];
  const lines = rows.map((row) => {
    const verdict = judge(row);
    const ours = row.target.compare === 'added' ? `${formatValue(row.ours, row.unit)} (+${formatValue(row.ours - row.baseline, row.unit)})` : formatValue(row.ours, row.unit);
    return [
      `${row.id} ${row.name}`,
      ours,
      `${formatValue(row.baseline, row.unit)} ${row.baselineLabel}`,
      Number.isFinite(verdict.ratio) ? `${verdict.ratio.toFixed(2)}×` : 'n/a',
      verdict.targetText,
      verdict.pass ? 'PASS' : `FAIL (${verdict.miss ?? ''})`,
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)));
  const format = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' │ ').trimEnd();
  return [format(header), widths.map((width) => '─'.repeat(width)).join('─┼─'), ...lines.map(format)].join('\n');
}

/** What one case module hands back: its rows, and a way to explain a miss. */
export interface CaseResult {
  readonly rows: readonly Row[];
  /** Facts about the generated data and the setup (printed and recorded). */
  readonly facts: readonly string[];
  /** Run when a row of this case missed its target: a short account of where the time goes. */
  readonly profile?: (() => Promise<string[]>) | undefined;
  /** Stops what the case keeps running for its profile. */
  readonly dispose?: (() => Promise<void>) | undefined;
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
