// Case 5: Claude stream-json through the supervisor's parser, renderer and execution-file writer,
// each run in its own Node process for its peak RSS; baseline `cat` through a Node pipe.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { summarizeProfiles } from './cpu-profile.js';
import { generateStream } from './generate.js';
import { bundleEntry, formatMs, log, MB, median, REPO_ROOT, timed, type CaseResult, type Row } from './lib.js';

const childResult = z.object({
  ms: z.number(),
  cpuMs: z.number(),
  bytes: z.number(),
  maxRssBytes: z.number(),
  atPeak: z.object({ rss: z.number(), heapTotal: z.number(), heapUsed: z.number(), external: z.number(), arrayBuffers: z.number() }),
  lines: z.number(),
  events: z.number(),
  executionBytes: z.number(),
});
type ChildResult = z.infer<typeof childResult>;

const SIZES = [50, 200] as const;

interface Entries {
  readonly ours: string;
  readonly baseline: string;
}

function runChild(entries: Entries, mode: 'ours' | 'baseline', file: string, dir: string, nodeFlags: readonly string[] = []): Promise<ChildResult> {
  const resultFile = path.join(dir, `${mode}-result.json`);
  const args = mode === 'ours' ? [entries.ours, file, dir, resultFile] : [entries.baseline, file, resultFile];
  return new Promise((resolve, reject) => {
    // stdout to /dev/null (the Actions log, as far as this process can tell); stderr kept for errors.
    const child = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`stream child (${mode}) exited ${code ?? 'by a signal'}: ${stderr.slice(-2000)}`));
        return;
      }
      readFile(resultFile, 'utf8').then((text) => resolve(childResult.parse(JSON.parse(text))), reject);
    });
  });
}

const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
const describePeak = (result: ChildResult): string =>
  `max RSS ${mb(result.maxRssBytes)}; at the sampled peak rss ${mb(result.atPeak.rss)} = V8 heap ${mb(result.atPeak.heapTotal)} (used ${mb(result.atPeak.heapUsed)}) + external ${mb(result.atPeak.external)} (array buffers ${mb(result.atPeak.arrayBuffers)}) + code/stacks/other`;

const mbPerS = (result: ChildResult): number => result.bytes / MB / (result.ms / 1000);
/** Peak RSS in MB (10^6 bytes, as the target is given). */
const rssMB = (result: ChildResult): number => result.maxRssBytes / MB;

export async function streamCase(root: string, reps: number): Promise<CaseResult> {
  await mkdir(root, { recursive: true });
  const entry: Entries = { ours: await bundleEntry('bench/stream-child.ts'), baseline: await bundleEntry('bench/pipe-child.ts') };
  const files = new Map<number, string>();
  const facts: string[] = [];
  for (const size of SIZES) {
    const file = path.join(root, `stream-${size}MB.jsonl`);
    const { ms, value } = await timed(() => generateStream(file, size * MB));
    files.set(size, file);
    facts.push(`stream ${size} MB: ${value.lines} lines (${(value.bytes / MB).toFixed(1)} MB), generated in ${formatMs(ms)}`);
  }
  const rows: Row[] = [];
  const measured = new Map<number, { ours: ChildResult[]; baseline: ChildResult[] }>();
  for (const size of SIZES) {
    const file = files.get(size) ?? '';
    log(`case 5: event stream ${size} MB ×${reps}`);
    const ours: ChildResult[] = [];
    const baseline: ChildResult[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const dir = path.join(root, `run-${size}-${rep}`);
      await mkdir(dir, { recursive: true });
      const runOurs = async (): Promise<void> => {
        const result = await runChild(entry, 'ours', file, dir);
        if (result.executionBytes !== result.bytes) throw new Error(`the execution file holds ${result.executionBytes} bytes, the stream ${result.bytes}`);
        ours.push(result);
      };
      const runBase = async (): Promise<void> => {
        baseline.push(await runChild(entry, 'baseline', file, dir));
      };
      if (rep % 2 === 0) {
        await runOurs();
        await runBase();
      } else {
        await runBase();
        await runOurs();
      }
      await rm(dir, { recursive: true, force: true });
    }
    measured.set(size, { ours, baseline });
  }
  for (const size of [...SIZES].reverse()) {
    const { ours, baseline } = measured.get(size) ?? { ours: [], baseline: [] };
    const first = ours[0];
    rows.push({
      id: size === 200 ? '5a' : '5b',
      name: `event stream ${size} MB: throughput`,
      unit: 'MB/s',
      ours: median(ours.map(mbPerS)),
      baseline: median(baseline.map(mbPerS)),
      baselineLabel: 'cat|node pipe',
      target: { compare: 'value', limit: 200, higherIsBetter: true },
      samples: { ours: ours.map(mbPerS), baseline: baseline.map(mbPerS) },
      notes: first
        ? [
            `${size} MB: ${first.lines} lines, ${first.events} events, median wall ${formatMs(median(ours.map((r) => r.ms)))} (baseline ${formatMs(median(baseline.map((r) => r.ms)))}), ` +
              `median CPU of the reading process ${formatMs(median(ours.map((r) => r.cpuMs)))} (baseline ${formatMs(median(baseline.map((r) => r.cpuMs)))})`,
          ]
        : [],
    });
  }
  for (const size of SIZES) {
    const { ours, baseline } = measured.get(size) ?? { ours: [], baseline: [] };
    rows.push({
      id: size === 50 ? '5c' : '5d',
      name: `event stream ${size} MB: peak RSS`,
      unit: 'MB',
      ours: median(ours.map(rssMB)),
      baseline: median(baseline.map(rssMB)),
      baselineLabel: 'cat|node pipe',
      target: { compare: 'value', limit: 150, strict: true },
      samples: { ours: ours.map(rssMB), baseline: baseline.map(rssMB) },
    });
  }
  for (const size of [...SIZES].reverse()) {
    const { ours, baseline } = measured.get(size) ?? { ours: [], baseline: [] };
    rows.push({
      id: size === 200 ? '5e' : '5f',
      name: `event stream ${size} MB: throughput against the pipe`,
      unit: 'MB/s',
      ours: median(ours.map(mbPerS)),
      baseline: median(baseline.map(mbPerS)),
      baselineLabel: 'cat|node pipe',
      target: { compare: 'ratio', limit: 0.5, higherIsBetter: true },
    });
  }
  const rss = SIZES.map((size) => median((measured.get(size)?.ours ?? []).map(rssMB)));
  facts.push(`peak RSS side by side: ${SIZES.map((size, index) => `${size} MB → ${(rss[index] ?? 0).toFixed(1)} MB`).join(', ')} (growth ${((rss[1] ?? 0) - (rss[0] ?? 0)).toFixed(1)} MB for 4× the input)`);

  return {
    rows,
    facts,
    profile: async () => {
      const dir = path.join(root, 'profile');
      await mkdir(dir, { recursive: true });
      const file = files.get(200) ?? '';
      const result = await runChild(entry, 'ours', file, dir, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      const lines = [`one 200 MB run under --cpu-prof: ${formatMs(result.ms)} (${mbPerS(result).toFixed(1)} MB/s, profiling slows it)`, ...(await summarizeProfiles(dir, REPO_ROOT))];
      lines.push('memory at the peak (process.memoryUsage sampled every 50 ms), median run of each size:');
      for (const size of SIZES) {
        const runs = measured.get(size)?.ours ?? [];
        const run = [...runs].sort((a, b) => a.maxRssBytes - b.maxRssBytes)[Math.floor(runs.length / 2)];
        if (run) lines.push(`  ${size} MB: ${describePeak(run)}`);
      }
      // Is the memory held, or garbage V8 has not bothered to collect? Run again with a small heap.
      for (const flags of [['--max-old-space-size=64'], ['--max-old-space-size=64', '--max-semi-space-size=4']]) {
        const capped = await runChild(entry, 'ours', file, dir, flags);
        lines.push(`  200 MB with ${flags.join(' ')}: ${describePeak(capped)}, ${mbPerS(capped).toFixed(1)} MB/s`);
      }
      return lines;
    },
  };
}
