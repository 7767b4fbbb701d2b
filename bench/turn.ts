// Case 9: what a turn-boundary checkpoint costs the agent. A model request goes through the real
// API proxy while a checkpoint is due: the gate holds it until the transcript has the tool result
// (written 80 ms after the request, as Claude Code does), takes the checkpoint (work tree, 20 MB of
// outputs, agent state) and lets it go. Baseline: that checkpoint's own time (as the scheduler
// measured it). Ours: the held request's time beyond a request with nothing due. Paired per request,
// because on a shared machine two checkpoints differ by far more than the 150 ms being judged.
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ClaudeTranscriptReader } from '../src/agents/session-store-claude.js';
import { LocalStore } from '../src/checkpoint/local-store.js';
import { CheckpointScheduler } from '../src/checkpoint/scheduler.js';
import { StoreSet } from '../src/checkpoint/store-set.js';
import { defaultLimits } from '../src/checkpoint/turn-boundary-policy.js';
import { TurnCheckpoints } from '../src/checkpoint/turn-checkpoints.js';
import { RunLedger } from '../src/runner/run-ledger.js';
import { startApiProxy } from '../src/proxy/api-proxy.js';
import type { Log } from '../src/report/log.js';
import { seeded } from './generate.js';
import { formatMs, log, median, sh, type CaseResult, type Row } from './lib.js';

const SESSION = '5b0c6f1e-8a47-4c1f-9a55-0d6c2f1e7b3a';
const OUTPUT_BYTES = 20 * 1024 * 1024;
/** Claude Code's transcript write after the request that carries the result (measured 25–100 ms). */
const TRANSCRIPT_LAG_MS = 80;

const quiet: Log = { info: () => undefined, warning: (message) => log(`warning: ${message}`), error: () => undefined, debug: () => undefined, group: (_title, body) => body() };

function upstream(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"type":"message","content":[]}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function post(base: string, body: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(new URL('/v1/messages?beta=true', base), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(performance.now() - started));
    });
    req.once('error', reject);
    req.end(body);
  });
}

const toolResultLine = (id: string): string =>
  `${JSON.stringify({ type: 'user', message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content: 'done' }] }, session_id: SESSION })}\n`;

export async function turnCase(root: string, reps: number): Promise<CaseResult> {
  const work = path.join(root, 'work');
  const configDir = path.join(root, 'claude-config');
  const transcript = path.join(configDir, 'projects', '-bench-work', `${SESSION}.jsonl`);
  await mkdir(path.join(work, 'outputs'), { recursive: true });
  await mkdir(path.dirname(transcript), { recursive: true });
  const random = seeded('turn');
  const source = Array.from({ length: 200 }, (_, i) => ({ file: `src/module-${i}.ts`, text: `export const value${i} = ${random.next()};\n`.repeat(40) }));
  for (const { file, text } of source) {
    await mkdir(path.dirname(path.join(work, file)), { recursive: true });
    await writeFile(path.join(work, file), text);
  }
  await writeFile(path.join(work, '.gitignore'), 'outputs/\n');
  await sh('git init -q && git add -A && git -c user.name=bench -c user.email=bench@invalid commit -q -m base', { cwd: work });
  const base = (await sh('git rev-parse HEAD', { cwd: work })).stdout.trim();
  // Incompressible, like most experiment outputs: the checkpoint cannot shrink its work.
  await writeFile(path.join(work, 'outputs', 'data.bin'), randomBytes(OUTPUT_BYTES));
  await writeFile(transcript, '');

  const ledger = new RunLedger();
  ledger.sessionReported(SESSION);
  const scheduler = new CheckpointScheduler(
    {
      stores: new StoreSet([{ store: new LocalStore(path.join(root, 'store')), saves: 'every' }], quiet),
      lineage: { repository: 'octo/bench', workflow: 'agent.yml', job: 'agent', checkpointId: 'turn', runId: '1' },
      workspace: work,
      baseCommit: base,
      stagingDir: await mkdir(path.join(root, 'staging'), { recursive: true }).then(() => path.join(root, 'staging')),
      agent: 'claude',
      agentStateDir: configDir,
      agentStateExclude: [],
      extraDir: path.join(root, 'extra'),
      checkpointPaths: 'outputs/**',
      secrets: ['sk-ant-bench-0123456789abcdef0123456789abcdef'],
      runAttempt: 1,
      runState: () => ledger.snapshot(),
      log: quiet,
    },
    { startSequence: 1, intervalMs: 3_600_000, minGapMs: 0, requestFile: path.join(root, 'checkpoint-request') },
  );
  const turns = new TurnCheckpoints({ scheduler, ledger, store: new ClaudeTranscriptReader(configDir), log: quiet, limits: defaultLimits(3_600_000), gated: true });
  turns.attemptStarted();
  const server = await upstream();
  const proxy = await startApiProxy({
    upstream: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    policy: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0, factor: 2 },
    log: quiet,
    beforeForward: (req) => turns.gate.beforeForward(req),
  });

  const waits: number[] = [];
  const checkpoints: number[] = [];
  const extra: number[] = [];
  const plain: number[] = [];
  try {
    // One save first: the first checkpoint of a lineage stores everything, later ones what changed.
    await scheduler.save('warm-up', { force: true });
    for (let rep = 0; rep < reps; rep++) {
      const id = `toolu_bench_${rep}`;
      const body = JSON.stringify({ model: 'claude-bench', stream: true, tools: [{ name: 'Bash' }], messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'done' }] }] });
      // Nothing due: what any request costs through the proxy and the gate.
      plain.push(await post(proxy.url, body));
      await appendFile(path.join(work, 'progress.txt'), `step-${rep}\n`);
      turns.onAgentEvent({ type: 'tool_result', id, ok: true, output: 'done' });
      const lag = new Promise<void>((resolve) => setTimeout(() => void appendFile(transcript, toolResultLine(id)).then(resolve), TRANSCRIPT_LAG_MS));
      const held = await post(proxy.url, body);
      await lag;
      const took = scheduler.history.at(-1)?.durationMs ?? Number.NaN;
      waits.push(held - (plain.at(-1) ?? 0));
      checkpoints.push(took);
      extra.push(held - (plain.at(-1) ?? 0) - took);
    }
  } finally {
    turns.stop();
    await proxy.close();
    server.close();
  }
  const row: Row = {
    id: '9',
    name: 'turn-boundary checkpoint: extra wait of the held request',
    unit: 'ms',
    // The median checkpoint plus the median extra wait per request: medians of the pairs.
    ours: median(checkpoints) + median(extra),
    baseline: median(checkpoints),
    baselineLabel: '(the checkpoint alone)',
    target: { compare: 'added', limit: 150 },
    samples: { ours: waits, baseline: checkpoints },
    notes: [`extra wait per request beyond its checkpoint: ${extra.map((ms) => formatMs(ms)).join(', ')}`, `the transcript gets the tool result ${TRANSCRIPT_LAG_MS} ms after the request (Claude Code's lag); a request with nothing due takes ${formatMs(median(plain))}`],
  };
  return {
    rows: [row],
    facts: [`turn: 200 source files, ${OUTPUT_BYTES / 1024 / 1024} MiB of outputs in checkpoint_paths, local store, ${reps} reps`],
  };
}
