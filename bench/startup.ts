// Case 7: `node dist/main.js` from process start to the agent's spawn, inputs set, nothing to
// restore; against `node -e ""`. The fake agent notes the time first thing and prints a result.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { actionDirs, epochRealtimeMs, runAction, writeScript, type ActionDirs } from './action.js';
import { summarizeProfiles } from './cpu-profile.js';
import { command, epochMs, folderSize, formatBytes, formatMs, log, median, REPO_ROOT, type CaseResult, type Row } from './lib.js';

const RESULT_LINE = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'done', num_turns: 1, session_id: '5b0c6f1e-8a47-4c1f-9a55-0d6c2f1e7b3a' });

function nodeStartup(): Promise<number> {
  const started = epochMs();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(epochMs() - started));
  });
}

async function startupOnce(dirs: ActionDirs, agent: string, mark: string, proxy: boolean, nodeFlags: readonly string[] = []): Promise<{ ms: number; lines: ReadonlyArray<{ at: number; text: string }>; startedAt: number }> {
  await rm(mark, { force: true });
  const run = await runAction(dirs, agent, { api_proxy: String(proxy) }, { BENCH_MARK: mark, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }, nodeFlags);
  if (run.exitCode !== 0) throw new Error(`the action failed (exit ${run.exitCode ?? 'signal'}):\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`);
  const spawnedAt = epochRealtimeMs(await readFile(mark, 'utf8'));
  return { ms: spawnedAt - run.startedAt, lines: run.lines, startedAt: run.startedAt };
}

export async function startupCase(root: string, reps: number, distDir: string): Promise<CaseResult> {
  await mkdir(root, { recursive: true });
  const dirs = await actionDirs(root, distDir);
  const dist = await folderSize(distDir);
  const mark = path.join(root, 'spawned-at');
  const agent = await writeScript(path.join(root, 'fake-claude'), `printf '%s\\n' "$EPOCHREALTIME" > "$BENCH_MARK"\necho '${RESULT_LINE}'\n`);
  const runs = Math.max(10, reps * 2);
  log(`case 7: start-up ×${runs} without and with the API proxy`);
  const measured = { off: [] as number[], on: [] as number[], node: [] as number[] };
  // One of each first: disk cache and the like, as on a runner whose action was just downloaded.
  await startupOnce(dirs, agent, mark, false);
  await nodeStartup();
  for (let rep = 0; rep < runs; rep++) {
    measured.node.push(await nodeStartup());
    measured.off.push((await startupOnce(dirs, agent, mark, false)).ms);
    measured.on.push((await startupOnce(dirs, agent, mark, true)).ms);
  }
  const chunks = await readdir(path.join(distDir, 'chunks')).catch(() => []);
  const rows: Row[] = [
    {
      id: '7a',
      name: 'start-up to agent spawn (api_proxy false)',
      unit: 'ms',
      ours: median(measured.off),
      baseline: median(measured.node),
      baselineLabel: 'node -e ""',
      target: { compare: 'value', limit: 300 },
      samples: { ours: measured.off, baseline: measured.node },
      notes: [`dist/ is ${formatBytes(dist.bytes)} in ${dist.files} files (${chunks.length} chunks); checkpoint_store none, nothing to restore`],
    },
    {
      id: '7b',
      name: 'start-up to agent spawn (api_proxy true)',
      unit: 'ms',
      ours: median(measured.on),
      baseline: median(measured.node),
      baselineLabel: 'node -e ""',
      target: { compare: 'value', limit: 300 },
      samples: { ours: measured.on, baseline: measured.node },
    },
  ];
  return {
    rows,
    facts: [`start-up: fake agent is a bash script noting $EPOCHREALTIME first thing; dist/ ${formatBytes(dist.bytes)}`],
    profile: async () => {
      const lines: string[] = [];
      // Phase timings: when each log line of a median-ish run reached us, from the spawn.
      const timeline = await startupOnce(dirs, agent, mark, true);
      lines.push(`one run with the proxy: agent spawned after ${formatMs(timeline.ms)}; log lines as they arrived:`);
      for (const line of timeline.lines.slice(0, 14)) lines.push(`  +${formatMs(line.at - timeline.startedAt).padStart(8)}  ${line.text.slice(0, 110)}`);
      // Loading the bundle alone: importing every chunk (no action runs).
      const imports = chunks.map((chunk) => `await import(${JSON.stringify(path.join(distDir, 'chunks', chunk))});`).join(' ');
      const load = await command(process.execPath, ['--input-type=module', '-e', `const t = performance.now(); ${imports} console.log((performance.now() - t).toFixed(1), performance.now().toFixed(1));`]);
      const [importMs, sinceStart] = load.stdout.trim().split(' ');
      lines.push(`importing dist/chunks/* alone: ${importMs ?? '?'} ms (process up for ${sinceStart ?? '?'} ms by then)`);
      const dir = path.join(root, 'profile');
      await mkdir(dir, { recursive: true });
      const profiled = await startupOnce(dirs, agent, mark, true, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      lines.push(`under --cpu-prof (whole run, agent spawned after ${formatMs(profiled.ms)}):`);
      return [...lines, ...(await summarizeProfiles(dir, REPO_ROOT))];
    },
  };
}
