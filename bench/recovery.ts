// Case 8: from a transient exit of the agent to the resumed agent's first request at the model
// API, backoff excluded. Attempt 1 of the fake agent reports an API 500 and exits 1 (noting the
// time just before); attempt 2 (`--resume`) notes its start and calls the model API at once.
// Baseline: the same two runs of the fake agent from a plain shell, `agent; agent --resume`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseDuration } from '../src/settings/duration.js';
import { actionDirs, epochRealtimeMs, runAction, writeScript } from './action.js';
import { summarizeProfiles } from './cpu-profile.js';
import { command, epochMs, formatMs, log, median, quote, REPO_ROOT, type CaseResult, type Row } from './lib.js';

const SESSION = '5b0c6f1e-8a47-4c1f-9a55-0d6c2f1e7b3a';

const FAKE_AGENT = `
session='${SESSION}'
prev=''
for arg in "$@"; do
  if [ "$prev" = --session-id ] || [ "$prev" = --resume ]; then session="$arg"; fi
  prev="$arg"
done
init='{"type":"system","subtype":"init","session_id":"'"$session"'","model":"claude-bench"}'
if [[ " $* " == *" --resume "* ]]; then
  printf '%s\\n' "$EPOCHREALTIME" > "$BENCH_MARKS/start2"
  echo "$init"
  hostport=\${ANTHROPIC_BASE_URL#http://}; hostport=\${hostport%%/*}
  exec 3<>"/dev/tcp/\${hostport%:*}/\${hostport##*:}"
  printf 'POST /v1/messages?beta=true HTTP/1.1\\r\\nHost: %s\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{}' "$hostport" >&3
  cat <&3 > /dev/null
  echo '{"type":"result","subtype":"success","is_error":false,"result":"resumed and done","num_turns":2,"session_id":"'"$session"'"}'
  exit 0
fi
echo "$init"
echo '{"type":"result","subtype":"success","is_error":true,"api_error_status":500,"api_error_type":"api_error","result":"API Error: 500 Internal server error. This is a server-side issue, usually temporary.","num_turns":1,"session_id":"'"$session"'"}'
printf '%s\\n' "$EPOCHREALTIME" > "$BENCH_MARKS/exit1"
exit 1
`;

interface ModelApi {
  readonly url: string;
  /** epochMs() of each request's arrival, in order. */
  readonly arrivals: number[];
  close(): Promise<void>;
}

async function startModelApi(): Promise<ModelApi> {
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    arrivals.push(epochMs());
    req.resume();
    req.once('end', () => {
      const body = JSON.stringify({ id: 'msg_bench', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Recovery {
  /** Exit of attempt 1 to the request of attempt 2, minus the logged backoff. */
  readonly ms: number;
  readonly waitMs: number;
  /** Exit of attempt 1 to the start of attempt 2, minus the backoff: durable-agent's share. */
  readonly toSpawnMs: number;
  readonly lines: ReadonlyArray<{ at: number; text: string }>;
  readonly exitAt: number;
}

async function marks(dir: string): Promise<{ exit1: number; start2: number }> {
  return { exit1: epochRealtimeMs(await readFile(path.join(dir, 'exit1'), 'utf8')), start2: epochRealtimeMs(await readFile(path.join(dir, 'start2'), 'utf8')) };
}

export async function recoveryCase(root: string, reps: number, distDir: string): Promise<CaseResult> {
  await mkdir(root, { recursive: true });
  const dirs = await actionDirs(root, distDir);
  const agent = await writeScript(path.join(root, 'fake-claude'), FAKE_AGENT);
  const marksDir = path.join(root, 'marks');
  const api = await startModelApi();

  const ours = async (nodeFlags: readonly string[] = []): Promise<Recovery> => {
    await rm(marksDir, { recursive: true, force: true });
    await mkdir(marksDir);
    const before = api.arrivals.length;
    const run = await runAction(dirs, agent, { api_proxy: 'true', max_attempts: '3', initial_delay: '0s', max_delay: '0s' }, { ANTHROPIC_BASE_URL: api.url, BENCH_MARKS: marksDir }, nodeFlags);
    if (run.exitCode !== 0) throw new Error(`the action did not recover (exit ${run.exitCode ?? 'signal'}):\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`);
    const arrival = api.arrivals[before];
    if (arrival === undefined) throw new Error('the resumed agent never reached the model API');
    const { exit1, start2 } = await marks(marksDir);
    // The retry delay is ours to choose; the wait itself is not recovery work.
    const waited = /Waiting (\S+) before attempt 2/.exec(run.stdout)?.[1];
    const waitMs = waited === undefined ? 0 : (parseDuration(waited) ?? 0);
    return { ms: arrival - exit1 - waitMs, waitMs, toSpawnMs: start2 - exit1 - waitMs, lines: run.lines, exitAt: exit1 };
  };
  const baseline = async (): Promise<Recovery> => {
    await rm(marksDir, { recursive: true, force: true });
    await mkdir(marksDir);
    const before = api.arrivals.length;
    await command('bash', ['-c', `${quote(agent)} --session-id ${SESSION}; ${quote(agent)} --resume ${SESSION}`], { env: { ...process.env, ANTHROPIC_BASE_URL: api.url, BENCH_MARKS: marksDir } });
    const arrival = api.arrivals[before];
    if (arrival === undefined) throw new Error('the baseline never reached the model API');
    const { exit1, start2 } = await marks(marksDir);
    return { ms: arrival - exit1, waitMs: 0, toSpawnMs: start2 - exit1, lines: [], exitAt: exit1 };
  };

  const runs = Math.max(10, reps * 2);
  log(`case 8: recovery ×${runs}`);
  const measured = { ours: [] as Recovery[], base: [] as Recovery[] };
  try {
    await ours();
    await baseline();
    for (let rep = 0; rep < runs; rep++) {
      measured.ours.push(await ours());
      measured.base.push(await baseline());
    }
  } catch (error) {
    await api.close();
    throw error;
  }
  const waits = measured.ours.map((run) => run.waitMs);
  const rows: Row[] = [
    {
      id: '8',
      name: 'recovery: agent exit → resumed request',
      unit: 'ms',
      ours: median(measured.ours.map((run) => run.ms)),
      baseline: median(measured.base.map((run) => run.ms)),
      baselineLabel: 'sh: a; a --resume',
      target: { compare: 'value', limit: 1000 },
      samples: { ours: measured.ours.map((run) => run.ms), baseline: measured.base.map((run) => run.ms) },
      notes: [
        `through the API proxy, checkpoint_store none; exit → resumed agent's start ${formatMs(median(measured.ours.map((run) => run.toSpawnMs)))} (baseline ${formatMs(median(measured.base.map((run) => run.toSpawnMs)))}), backoff subtracted: median ${formatMs(median(waits))} (initial_delay 0s)`,
      ],
    },
  ];
  return {
    rows,
    facts: [],
    profile: async () => {
      const dir = path.join(root, 'profile');
      await mkdir(dir, { recursive: true });
      const profiled = await ours(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      const lines = [`one run under --cpu-prof: ${formatMs(profiled.ms)}; log lines from attempt 1's exit on:`];
      for (const line of profiled.lines.filter((entry) => entry.at >= profiled.exitAt - 5).slice(0, 12)) lines.push(`  +${formatMs(line.at - profiled.exitAt).padStart(8)}  ${line.text.slice(0, 110)}`);
      return [...lines, ...(await summarizeProfiles(dir, REPO_ROOT))];
    },
    // The model API stays up for the profile.
    dispose: () => api.close(),
  };
}
