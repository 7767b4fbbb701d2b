// `npm run bench`: builds dist/, generates its data, runs every case against a plain baseline in
// the same run (median of repeated runs), prints one table and writes bench/results.json.
//
//   node scripts/run-ts.mjs bench/run.ts [--only=checkpoint,stream,proxy,startup,recovery,turn] [--reps=N] [--no-profile] [--keep] [--strict]
// --strict exits 1 when a target is missed (the default reports and exits 0); --only runs do not
// write bench/results.json.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkpointCases } from './checkpoint.js';
import { buildDist, command, folderSize, formatBytes, formatMs, judge, log, REPO_ROOT, renderTable, sh, timed, type CaseResult, type Row } from './lib.js';
import { proxyCase } from './proxy.js';
import { recoveryCase } from './recovery.js';
import { startupCase } from './startup.js';
import { streamCase } from './stream.js';
import { turnCase } from './turn.js';

const CASES = ['checkpoint', 'stream', 'proxy', 'startup', 'recovery', 'turn'] as const;
type CaseName = (typeof CASES)[number];

async function ensureZstd(): Promise<void> {
  if (await command('zstd', ['--version']).then(() => true, () => false)) return;
  log('zstd is missing: installing it with apt-get');
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  try {
    await sh(`${sudo}apt-get install -y -q zstd`);
  } catch {
    await sh(`${sudo}apt-get update -q && ${sudo}apt-get install -y -q zstd`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, reps: { type: 'string' }, 'no-profile': { type: 'boolean' }, keep: { type: 'boolean' }, strict: { type: 'boolean' } },
    strict: true,
  });
  const only = new Set((values.only ?? CASES.join(',')).split(',').map((name) => name.trim()));
  for (const name of only) if (!(CASES as readonly string[]).includes(name)) throw new Error(`unknown case '${name}' (known: ${CASES.join(', ')})`);
  const reps = Math.max(1, Number(values.reps ?? '5'));
  const wanted = (name: CaseName): boolean => only.has(name);
  const started = performance.now();
  const loadAtStart = os.loadavg()[0] ?? 0;

  await ensureZstd();
  const root = await mkdtemp(path.join(os.tmpdir(), 'durable-agent-bench-'));
  const results: Array<{ name: CaseName; result: CaseResult }> = [];
  const runCase = async (name: CaseName, body: (dir: string) => Promise<CaseResult>): Promise<void> => {
    if (!wanted(name)) return;
    const { ms, value } = await timed(() => body(path.join(root, name)));
    log(`${name} done in ${formatMs(ms)}`);
    results.push({ name, result: value });
  };
  try {
    log('building the action (scripts/build.mjs, as npm run build) into a private dist/');
    const built = await buildDist(path.join(root, 'build'));
    const dist = await folderSize(built.dist);
    log(`built in ${formatMs(built.ms)}: dist/ ${formatBytes(dist.bytes)} in ${dist.files} files`);
    await runCase('checkpoint', (dir) => checkpointCases(dir, reps));
    await runCase('stream', (dir) => streamCase(dir, reps));
    await runCase('proxy', (dir) => proxyCase(dir, reps));
    await runCase('startup', (dir) => startupCase(dir, reps, built.dist));
    await runCase('recovery', (dir) => recoveryCase(dir, reps, built.dist));
    await runCase('turn', (dir) => turnCase(dir, reps));

    const rows: Row[] = results.flatMap(({ result }) => result.rows);
    const profiles: Array<{ name: CaseName; lines: string[] }> = [];
    if (!values['no-profile']) {
      for (const { name, result } of results) {
        if (result.profile === undefined || result.rows.every((row) => judge(row).pass)) continue;
        log(`profiling ${name} (a target was missed)`);
        profiles.push({ name, lines: await result.profile() });
      }
    }
    const totalMs = performance.now() - started;

    const out: string[] = [];
    out.push('', renderTable(rows), '');
    const missed = rows.filter((row) => !judge(row).pass);
    out.push(missed.length === 0 ? 'Every target met.' : `Missed ${missed.length} of ${rows.length} targets:`);
    for (const row of missed) out.push(`  ${row.id} ${row.name}: ${judge(row).miss ?? ''}`);
    const notes = rows.flatMap((row) => (row.notes ?? []).map((note) => `  ${row.id}: ${note}`));
    if (notes.length > 0) out.push('', 'Notes:', ...notes);
    out.push('', 'Setup:', ...results.flatMap(({ result }) => result.facts.map((fact) => `  ${fact}`)));
    for (const profile of profiles) out.push('', `Profile: ${profile.name}`, ...profile.lines.map((line) => `  ${line}`));
    // Other work on the machine shows up in both columns, but not always equally: say how busy it was.
    const loadAtEnd = os.loadavg()[0] ?? 0;
    out.push('', `dist/ ${formatBytes(dist.bytes)} in ${dist.files} files. Total wall time ${formatMs(totalMs)} on ${os.cpus().length} cores (load average ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end), node ${process.version}.`);
    process.stdout.write(`${out.join('\n')}\n`);

    const json = {
      createdAt: new Date().toISOString(),
      machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverage: { start: loadAtStart, end: loadAtEnd } },
      commit: (await command('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT }).catch(() => ({ stdout: '' }))).stdout.trim(),
      reps,
      totalMs,
      distBytes: dist.bytes,
      cases: rows.map((row) => {
        const verdict = judge(row);
        return { id: row.id, name: row.name, unit: row.unit, ours: row.ours, baseline: row.baseline, baselineLabel: row.baselineLabel, ratio: verdict.ratio, target: verdict.targetText, pass: verdict.pass, miss: verdict.miss ?? null, samples: row.samples ?? null, notes: row.notes ?? [] };
      }),
      facts: results.flatMap(({ result }) => result.facts),
      profiles,
    };
    // Only a full run is a record to compare over time.
    if (values.only === undefined) {
      await writeFile(path.join(REPO_ROOT, 'bench', 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
      log('wrote bench/results.json');
    } else {
      log('--only: bench/results.json left as it was');
    }
    if (values.strict && missed.length > 0) process.exitCode = 1;
  } finally {
    for (const { result } of results) await result.dispose?.();
    if (values.keep) log(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
