import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeTranscriptReader } from '../../src/agents/session-store-claude.js';
import { LocalStore } from '../../src/checkpoint/local-store.js';
import { CheckpointScheduler } from '../../src/checkpoint/scheduler.js';
import { StoreSet } from '../../src/checkpoint/store-set.js';
import type { TurnBoundaryLimits } from '../../src/checkpoint/turn-boundary-policy.js';
import { TurnCheckpoints } from '../../src/checkpoint/turn-checkpoints.js';
import { RunLedger } from '../../src/runner/run-ledger.js';
import { startApiProxy, type ApiProxy } from '../../src/proxy/api-proxy.js';
import type { Log } from '../../src/report/log.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

// The hold itself, through the real proxy, scheduler, local store and a Claude-style transcript:
// what the request waits for, and what the checkpoint is recorded as when a bound runs out.
const SESSION = '5b0c6f1e-8a47-4c1f-9a55-0d6c2f1e7b3a';
const lineage = { repository: 'octo/demo', workflow: 'agent', job: 'agent', checkpointId: 'agent', runId: '9' };

let ws: Workspace;
let upstream: Server;
let proxy: ApiProxy | undefined;
let turns: TurnCheckpoints | undefined;
const lines: string[] = [];
const log: Log = { info: (line) => lines.push(line), warning: (line) => lines.push(line), error: (line) => lines.push(line), debug: () => undefined, group: (_title, body) => body() };

beforeEach(async () => {
  ws = await createWorkspace();
  lines.length = 0;
  upstream = createServer((req, res) => {
    req.resume();
    req.once('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
});
afterEach(async () => {
  turns?.stop();
  await proxy?.close();
  upstream.close();
  await ws.dispose();
});

const transcript = (): string => path.join(ws.root, 'claude', 'projects', '-repo', `${SESSION}.jsonl`);
const toolResult = (id: string): string => `${JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }] } })}\n`;

async function setUp(limits: TurnBoundaryLimits, options: { firstRequest?: boolean; guard?: boolean } = {}): Promise<{ scheduler: CheckpointScheduler; store: LocalStore }> {
  mkdirSync(path.dirname(transcript()), { recursive: true });
  writeFileSync(transcript(), '');
  const store = new LocalStore(path.join(ws.root, 'store'));
  const ledger = new RunLedger();
  const scheduler = new CheckpointScheduler(
    {
      stores: new StoreSet([{ store, saves: 'every' }], log),
      lineage,
      workspace: ws.repo,
      baseCommit: (await ws.git('rev-parse', 'HEAD')).trim(),
      stagingDir: ws.runnerTemp,
      agent: 'claude',
      agentStateDir: path.join(ws.root, 'claude'),
      agentStateExclude: [],
      extraDir: path.join(ws.root, 'extra'),
      checkpointPaths: '',
      secrets: [],
      runAttempt: 1,
      runState: () => ledger.snapshot(),
      log,
    },
    { startSequence: 1, intervalMs: 3_600_000, minGapMs: 0, requestFile: path.join(ws.root, 'request') },
  );
  // Guard mode learns the session from the store, not from the agent's events.
  if (!options.guard) ledger.sessionReported(SESSION);
  const withoutEvents = options.guard ? { sessionOf: () => Promise.resolve(SESSION) } : undefined;
  const wired = new TurnCheckpoints({ scheduler, ledger, store: new ClaudeTranscriptReader(path.join(ws.root, 'claude')), log, limits, gated: true, withoutEvents });
  turns = wired;
  wired.attemptStarted();
  proxy = await startApiProxy({
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    policy: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0, factor: 2 },
    log,
    beforeForward: (req) => wired.gate.beforeForward(req),
  });
  // The session's first request (nothing due yet): the agent talks through the proxy.
  if (options.firstRequest ?? true) await modelRequest('toolu_0');
  return { scheduler, store };
}

/** One model request of the agent carrying the result of tool call `id`; resolves when answered. */
function modelRequest(id: string): Promise<void> {
  const body = JSON.stringify({ stream: true, tools: [{ name: 'Bash' }], messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }] }] });
  return new Promise((resolve, reject) => {
    const req = request(new URL('/v1/messages?beta=true', proxy?.url), { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.once('end', () => resolve());
    });
    req.once('error', reject);
    req.end(body);
  });
}

interface ManifestFacts {
  consistency?: string;
  sessionId?: string | null;
  interruptedTool?: { name: string; id: string };
}

async function manifestOf(store: LocalStore, sequence: number): Promise<ManifestFacts> {
  const ref = (await store.list(lineage)).find((candidate) => candidate.sequence === sequence);
  return JSON.parse(readFileSync(path.join(ws.root, 'store', ref?.key ?? 'missing', 'manifest.json'), 'utf8')) as ManifestFacts;
}

const toolUse = (id: string): string => `${JSON.stringify({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input: {} }] } })}\n`;

const limits: TurnBoundaryLimits = { storeWaitMs: 3000, storePollMs: 5, holdDeadlineMs: 30_000, midTurnAfterMs: 3_600_000 };

describe('a model request held for a checkpoint', () => {
  it('waits until the transcript has its tool result, and the checkpoint is at a turn boundary', async () => {
    const { store } = await setUp(limits);
    const wired = turns;
    if (!wired) throw new Error('not set up');
    const answered: string[] = [];
    writeFileSync(path.join(ws.repo, 'result.txt'), 'step 1\n');
    wired.onAgentEvent({ type: 'tool_result', id: 'toolu_1', ok: true, output: '' });
    const done = modelRequest('toolu_1').then(() => answered.push('request'));
    // Held: nothing is forwarded while the transcript lacks the result.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toEqual([]);
    appendFileSync(transcript(), toolResult('toolu_1'));
    await done;
    expect(lines.join('\n')).toMatch(/Checkpoint 1 saved \(after agent turns\): .*; taken at a turn boundary/);
    expect((await manifestOf(store, 1)).consistency).toBe('turn-boundary');
    // Nothing changed and nothing is due: the next request goes straight on.
    await modelRequest('toolu_1');
    expect((await store.list(lineage)).length).toBe(1);
  });

  it('lets the request go when the store does not catch up in time, and records the checkpoint mid-turn', async () => {
    const { store } = await setUp({ ...limits, storeWaitMs: 200 });
    writeFileSync(path.join(ws.repo, 'result.txt'), 'step 1\n');
    turns?.onAgentEvent({ type: 'tool_result', id: 'toolu_never', ok: true, output: '' });
    await modelRequest('toolu_never');
    expect(lines.join('\n')).toMatch(/did not record 1 tool result\(s\) within 200ms: checkpoint \(after agent turns\) taken mid-turn/);
    expect((await manifestOf(store, 1)).consistency).toBe('mid-turn');
  });

  it('lets the request go at the hold deadline, and records a checkpoint still being read as mid-turn', async () => {
    const { scheduler, store } = await setUp({ ...limits, holdDeadlineMs: 1 });
    writeFileSync(path.join(ws.repo, 'result.txt'), 'step 1\n');
    appendFileSync(transcript(), toolResult('toolu_1'));
    turns?.onAgentEvent({ type: 'tool_result', id: 'toolu_1', ok: true, output: '' });
    await modelRequest('toolu_1');
    expect(lines.join('\n')).toMatch(/held the agent's model request for 1ms: the request goes on and the checkpoint is recorded mid-turn/);
    // The checkpoint itself goes on after the request and is stored.
    await scheduler.save('flush');
    expect((await manifestOf(store, 1)).consistency).toBe('mid-turn');
  });

  it('in guard mode (no events) holds each request, forces the checkpoint, and labels the final one by the calls the store shows open', async () => {
    const { scheduler, store } = await setUp(limits, { guard: true, firstRequest: false });
    // Every request of the agent is its progress: the first one already gets a checkpoint.
    appendFileSync(transcript(), toolResult('toolu_0'));
    await modelRequest('toolu_0');
    expect((await manifestOf(store, 1)).consistency).toBe('turn-boundary');
    const answered: string[] = [];
    appendFileSync(transcript(), toolUse('toolu_1'));
    const done = modelRequest('toolu_1').then(() => answered.push('request'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toEqual([]);
    appendFileSync(transcript(), toolResult('toolu_1'));
    await done;
    // A read-only step changes no file of the work tree, yet the session moved on: saved anyway.
    const boundary = await manifestOf(store, 2);
    expect(boundary).toMatchObject({ consistency: 'turn-boundary', sessionId: SESSION });
    // The agent step ends with a tool call cut off: the final checkpoint says which.
    appendFileSync(transcript(), toolUse('toolu_2'));
    await turns?.attemptEnded();
    await scheduler.due('final', { force: true, final: true });
    expect(await manifestOf(store, 3)).toMatchObject({ consistency: 'mid-turn', interruptedTool: { name: 'Bash', id: 'toolu_2' } });
  });

  it('falls back to agent state first when the agent works without its requests reaching the proxy', async () => {
    const { store } = await setUp(limits, { firstRequest: false });
    writeFileSync(path.join(ws.repo, 'result.txt'), 'step 1\n');
    turns?.onAgentEvent({ type: 'tool_result', id: 'toolu_1', ok: true, output: '' });
    await expect.poll(async () => (await store.list(lineage)).length, { timeout: 10_000 }).toBe(1);
    expect((await manifestOf(store, 1)).consistency).toBe('agent-state-first');
  });
});
