// Deterministic data for the benchmark: a git workspace with an agent's uncommitted work and
// experiment outputs, and a Claude stream-json transcript. Seeded, so every run sees the same bytes.
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { command, MB } from './lib.js';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
  /** Deterministic bytes (AES-CTR keystream), incompressible. */
  bytes(length: number): Buffer;
}

/** mulberry32 for choices, AES-CTR for bulk bytes; both from the seed. */
export function seeded(seed: string): Random {
  const digest = createHash('sha256').update(seed).digest();
  let state = digest.readUInt32LE(0);
  const cipher = createCipheriv('aes-128-ctr', digest.subarray(0, 16), digest.subarray(16, 32));
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    bytes: (length: number) => cipher.update(Buffer.alloc(length)),
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'tor', 'san', 'vel', 'qui', 'dra', 'pex', 'ul', 'zen', 'rho', 'bin', 'cas', 'dyn', 'fer', 'gul', 'hap', 'jor'];

function vocabulary(random: Random, size: number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const parts = 1 + random.int(3);
    let word = '';
    for (let i = 0; i < parts; i++) word += random.pick(SYLLABLES);
    words.add(word);
  }
  return [...words];
}

/** Code-like and prose-like text: compresses about as well as real source (4–5× with gzip). */
export class TextMaker {
  private readonly words: string[];
  constructor(private readonly random: Random) {
    this.words = vocabulary(random, 1500);
  }

  private id(): string {
    const r = this.random;
    const a = r.pick(this.words);
    return r.next() < 0.4 ? `${a}${capitalize(r.pick(this.words))}` : r.next() < 0.5 ? `${a}_${r.pick(this.words)}` : a;
  }

  line(): string {
    const r = this.random;
    const indent = '  '.repeat(r.int(4));
    switch (r.int(9)) {
      case 0:
        return `${indent}const ${this.id()} = ${this.id()}(${this.id()}, ${r.int(1000)});`;
      case 1:
        return `${indent}if (${this.id()}.${this.id()} > ${r.int(100)}) {`;
      case 2:
        return `${indent}}`;
      case 3:
        return `${indent}// ${this.sentence(4 + r.int(10))}`;
      case 4:
        return `${indent}return ${this.id()}.${this.id()}('${this.id()}');`;
      case 5:
        return `${indent}${this.id()}: ${r.pick(['string', 'number', 'boolean', 'readonly string[]', this.id()])};`;
      case 6:
        return '';
      case 7:
        return `${indent}await ${this.id()}.${this.id()}({ ${this.id()}: ${r.int(5000)}, ${this.id()}: "${this.id()}" });`;
      default:
        return `${indent}${this.sentence(6 + r.int(12))}`;
    }
  }

  sentence(words: number): string {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(this.random.pick(this.words));
    return out.join(' ');
  }

  /** About `bytes` of text (lines until reached). */
  text(bytes: number): string {
    const lines: string[] = [];
    let size = 0;
    while (size < bytes) {
      const line = this.line();
      lines.push(line);
      size += line.length + 1;
    }
    return `${lines.join('\n')}\n`;
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Random bytes with runs of a short repeated pattern: compresses about 2×, like many binary formats. */
function semiCompressible(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += 4096) {
    const block = Math.min(4096, length - offset);
    if (random.next() < 0.5) random.bytes(block).copy(out, offset);
    else out.fill(random.bytes(8 + random.int(56)), offset, offset + block);
  }
  return out;
}

/** Float32 weights from a normal distribution: what a model checkpoint looks like to a compressor. */
function weights(random: Random, length: number): Buffer {
  const floats = new Float32Array(Math.floor(length / 4));
  for (let i = 0; i < floats.length; i += 2) {
    const u = random.next() || 1e-12;
    const v = random.next();
    const radius = Math.sqrt(-2 * Math.log(u)) * 0.02;
    floats[i] = radius * Math.cos(2 * Math.PI * v);
    if (i + 1 < floats.length) floats[i + 1] = radius * Math.sin(2 * Math.PI * v);
  }
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength);
}

/** Sizes drawn log-uniformly between min and max, then scaled to sum to `total`. */
function sizes(random: Random, count: number, min: number, max: number, total: number): number[] {
  const raw = Array.from({ length: count }, () => Math.exp(Math.log(min) + random.next() * (Math.log(max) - Math.log(min))));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((value) => Math.max(1, Math.round((value / sum) * total)));
}

async function put(root: string, rel: string, content: string | Buffer): Promise<void> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@durable-agent.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@durable-agent.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await command('git', args, { cwd, env: { ...process.env, ...GIT_ENV } })).stdout.trim();
}

export interface GeneratedWorkspace {
  /** The repository the checkout was cloned from (packed, like a remote). */
  readonly origin: string;
  /** The agent's checkout, with its uncommitted work and outputs. */
  readonly work: string;
  readonly base: string;
  readonly checkpointPaths: string;
  readonly facts: readonly string[];
  /** Tracked text files that still exist in the work tree, for later edits. */
  readonly editable: readonly string[];
  /** Output files small enough to append to. */
  readonly appendableOutputs: readonly string[];
}

const TRACKED_FILES = 5000;
const TRACKED_BYTES = 60 * MB;
const UNTRACKED_BYTES = 20 * MB;
const OUTPUT_BYTES = 150 * MB;

/**
 * The case-1 workspace: 5,000 tracked files (~60 MB, text and binary) committed in `origin`, a
 * clone of it in which the agent modified 300 files, deleted 50 and added 200 (20 MB), plus
 * 150 MB of experiment outputs under results/ (git-ignored, saved through checkpoint_paths).
 */
export async function generateWorkspace(root: string): Promise<GeneratedWorkspace> {
  const random = seeded('durable-agent bench workspace v1');
  const text = new TextMaker(random);
  const origin = path.join(root, 'origin');
  const work = path.join(root, 'work');
  await mkdir(origin, { recursive: true });
  await git(origin, 'init', '-q', '-b', 'main');

  // 5,000 tracked files: .gitignore, 4,199 text, 400 incompressible binaries (images), 400 compressible ones.
  const textCount = TRACKED_FILES - 1 - 800;
  const extensions = ['ts', 'ts', 'ts', 'py', 'md', 'json', 'tsx', 'css'];
  const textSizes = sizes(random, textCount, 300, 40_000, 27 * MB);
  const imageSizes = sizes(random, 400, 8_000, 200_000, 22 * MB);
  const dataSizes = sizes(random, 400, 4_000, 80_000, TRACKED_BYTES - 49 * MB);
  const tracked: Array<{ rel: string; kind: 'text' | 'binary' }> = [];
  await put(origin, '.gitignore', 'results/\nnode_modules/\n*.ckpt\n');
  for (let i = 0; i < textCount; i++) {
    const rel = `packages/pkg-${String(i % 40).padStart(2, '0')}/src/mod-${String(Math.floor(i / 40) % 25).padStart(2, '0')}/${text.sentence(1)}-${i}.${random.pick(extensions)}`;
    await put(origin, rel, text.text(textSizes[i] ?? 1000));
    tracked.push({ rel, kind: 'text' });
  }
  for (let i = 0; i < 400; i++) {
    const rel = `assets/img-${String(i % 10)}/image-${i}.png`;
    await put(origin, rel, random.bytes(imageSizes[i] ?? 1000));
    tracked.push({ rel, kind: 'binary' });
  }
  for (let i = 0; i < 400; i++) {
    const rel = `data/fixtures-${String(i % 8)}/blob-${i}.bin`;
    await put(origin, rel, semiCompressible(random, dataSizes[i] ?? 1000));
    tracked.push({ rel, kind: 'binary' });
  }
  await git(origin, 'add', '-A');
  await git(origin, 'commit', '-q', '-m', 'base');
  // A remote holds packed objects; so does a fresh clone.
  await git(origin, 'repack', '-adq');
  await git(origin, 'prune');
  const base = await git(origin, 'rev-parse', 'HEAD');
  await git(root, 'clone', '-q', origin, work);
  await git(work, 'checkout', '-q', '-b', 'agent/bench');

  // The agent's work: 300 modified (240 text, 60 binary), 50 deleted, 200 untracked (20 MB).
  const order = tracked.map((file, index) => ({ file, key: random.next(), index })).sort((a, b) => a.key - b.key).map((entry) => entry.file);
  const textFiles = order.filter((file) => file.kind === 'text');
  const binaryFiles = order.filter((file) => file.kind === 'binary');
  const modifiedText = textFiles.slice(0, 240);
  const modifiedBinary = binaryFiles.slice(0, 60);
  const deleted = [...textFiles.slice(240, 280), ...binaryFiles.slice(60, 70)];
  for (const file of modifiedText) {
    await writeFile(path.join(work, file.rel), `${text.text(200 + random.int(3000))}${text.text(2000)}`, { flag: 'a' });
  }
  for (const file of modifiedBinary) {
    await writeFile(path.join(work, file.rel), random.bytes(16_000 + random.int(60_000)));
  }
  for (const file of deleted) await rm(path.join(work, file.rel));
  const untrackedText = sizes(random, 140, 5_000, 150_000, 7 * MB);
  const untrackedBinary = sizes(random, 60, 50_000, 600_000, UNTRACKED_BYTES - 7 * MB);
  for (let i = 0; i < 140; i++) await put(work, `packages/new-feature/src/part-${i % 7}/${text.sentence(1)}-${i}.ts`, text.text(untrackedText[i] ?? 1000));
  for (let i = 0; i < 60; i++) await put(work, `data/generated/sample-${i}.bin`, i % 2 === 0 ? random.bytes(untrackedBinary[i] ?? 1000) : semiCompressible(random, untrackedBinary[i] ?? 1000));

  // Experiment outputs, 150 MB: model checkpoints, metrics, logs, samples, plots.
  const outputs = 'results/run-001';
  const appendableOutputs = [`${outputs}/metrics.csv`, `${outputs}/train.log`];
  for (let i = 1; i <= 8; i++) await put(work, `${outputs}/checkpoints/step-${i * 1000}.ckpt`, weights(random, 12 * MB));
  const metrics: string[] = ['step,loss,accuracy,lr,grad_norm,tokens_per_s'];
  let metricsBytes = 0;
  for (let step = 0; metricsBytes < 5 * MB; step++) {
    const line = `${step},${(2.5 * Math.exp(-step / 40_000) + random.next() * 0.05).toFixed(6)},${(0.3 + 0.6 * (1 - Math.exp(-step / 30_000))).toFixed(6)},${(3e-4 * Math.min(1, step / 2000)).toExponential(4)},${(random.next() * 3).toFixed(5)},${18_000 + random.int(4000)}`;
    metrics.push(line);
    metricsBytes += line.length + 1;
  }
  await put(work, appendableOutputs[0] ?? '', `${metrics.join('\n')}\n`);
  const log: string[] = [];
  let logBytes = 0;
  for (let step = 0; logBytes < 15 * MB; step++) {
    const line = `2026-01-0${1 + (step % 9)} 12:${String(step % 60).padStart(2, '0')}:${String((step * 7) % 60).padStart(2, '0')} INFO trainer: step ${step} loss=${(random.next() * 3).toFixed(4)} ${text.sentence(3 + random.int(8))}`;
    log.push(line);
    logBytes += line.length + 1;
  }
  await put(work, appendableOutputs[1] ?? '', `${log.join('\n')}\n`);
  for (let i = 0; i < 300; i++) {
    const sample = { id: i, prompt: text.sentence(40), completions: Array.from({ length: 24 }, () => ({ text: text.text(4_000), score: random.next() })) };
    await put(work, `${outputs}/samples/sample-${String(i).padStart(4, '0')}.json`, JSON.stringify(sample, null, 2));
  }
  const plotsBytes = OUTPUT_BYTES - 96 * MB - 20 * MB - 30 * MB;
  for (let i = 0; i < 20; i++) await put(work, `${outputs}/plots/plot-${String(i).padStart(2, '0')}.png`, random.bytes(Math.round(plotsBytes / 20)));

  // As after the agent's own `git status`, some time after the checkout: no racily clean entries.
  await sleep(1100);
  await git(work, 'update-index', '-q', '--refresh').catch(() => '');
  await git(work, 'status', '--porcelain');

  const sizeOf = async (args: string[]): Promise<{ files: number; bytes: number }> => {
    const listing = await command('bash', ['-c', `git ${args.join(' ')} -z | xargs -0 -r stat -c %s | awk '{n++; s+=$1} END {print n+0, s+0}'`], { cwd: work });
    const [files, bytes] = listing.stdout.trim().split(' ').map(Number);
    return { files: files ?? 0, bytes: bytes ?? 0 };
  };
  const trackedInOrigin = await command('bash', ['-c', `git ls-files -z | xargs -0 stat -c %s | awk '{n++; s+=$1} END {print n+0, s+0}'`], { cwd: origin });
  const [trackedCount, trackedBytes] = trackedInOrigin.stdout.trim().split(' ').map(Number);
  const untracked = await sizeOf(['ls-files', '--others', '--exclude-standard']);
  const modified = (await git(work, 'ls-files', '--modified')).split('\n').filter(Boolean).length - deleted.length;
  const outputsSize = await command('du', ['-sb', path.join(work, 'results')]);
  const facts = [
    `workspace: ${trackedCount ?? 0} tracked files (${((trackedBytes ?? 0) / MB).toFixed(1)} MB: ${textCount + 1} text, 800 binary), ${modified} modified, ${deleted.length} deleted, ${untracked.files} untracked (${(untracked.bytes / MB).toFixed(1)} MB), outputs ${(Number(outputsSize.stdout.split('\t')[0]) / MB).toFixed(1)} MB under results/ (checkpoint_paths 'results/**')`,
  ];
  const editable = textFiles.slice(280).map((file) => file.rel);
  return { origin, work, base, checkpointPaths: 'results/**', facts, editable, appendableOutputs };
}

// ── Claude stream-json ───────────────────────────────────────────────────────────────────────

const TOOLS = ['Bash', 'Read', 'Edit', 'Write', 'Grep', 'Glob'] as const;

/**
 * Writes about `bytes` of Claude Code `--output-format stream-json --verbose` lines: init, then
 * turns of assistant text, tool calls and tool results (the bulk: command output, file contents),
 * an occasional API retry, and a final result line.
 */
export async function generateStream(file: string, bytes: number, seed = 'durable-agent bench stream v1'): Promise<{ lines: number; bytes: number }> {
  const random = seeded(seed);
  const text = new TextMaker(random);
  const session = '5b0c6f1e-8a47-4c1f-9a55-0d6c2f1e7b3a';
  const out = createWriteStream(file);
  let written = 0;
  let lines = 0;
  let ids = 0;
  const uuid = (): string => {
    ids += 1;
    return `00000000-0000-4000-8000-${String(ids).padStart(12, '0')}`;
  };
  const emit = async (value: unknown): Promise<void> => {
    const line = `${JSON.stringify(value)}\n`;
    written += Buffer.byteLength(line);
    lines += 1;
    if (!out.write(line)) await once(out, 'drain');
  };
  const usage = () => ({ input_tokens: 3000 + random.int(40_000), output_tokens: 1 + random.int(2000), cache_creation_input_tokens: random.int(5000), cache_read_input_tokens: random.int(80_000) });
  const assistant = (content: unknown[], stop: string | null) => ({
    type: 'assistant',
    message: { id: `msg_${uuid().replaceAll('-', '').slice(-24)}`, type: 'message', role: 'assistant', model: 'claude-opus-5-5', content, stop_reason: stop, stop_sequence: null, usage: usage(), context_management: null },
    parent_tool_use_id: null,
    session_id: session,
    uuid: uuid(),
    timestamp: new Date(Date.UTC(2026, 0, 1, 12, 0, lines)).toISOString(),
  });

  await emit({ type: 'system', subtype: 'init', cwd: '/home/runner/work/demo/demo', session_id: session, tools: [...TOOLS], mcp_servers: [], model: 'claude-opus-5-5', permissionMode: 'default', apiKeySource: 'ANTHROPIC_API_KEY', claude_code_version: '2.1.331', uuid: uuid() });
  let turn = 0;
  while (written < bytes - 4096) {
    turn += 1;
    // Thinking out loud, sometimes at length, with the odd non-ASCII character and quotes.
    await emit(assistant([{ type: 'text', text: `${text.sentence(10 + random.int(60))} — "${text.sentence(3)}" ✓\n\n${random.next() < 0.2 ? text.text(2000 + random.int(6000)) : text.sentence(20)}` }], null));
    const tool = random.pick(TOOLS);
    const id = `toolu_${uuid().replaceAll('-', '').slice(-24)}`;
    const input =
      tool === 'Bash' ? { command: `cd packages/${text.sentence(1)} && npm test -- --grep '${text.sentence(2)}'`, description: text.sentence(5) }
      : tool === 'Edit' ? { file_path: `/home/runner/work/demo/demo/src/${text.sentence(1)}.ts`, old_string: text.text(200 + random.int(1500)), new_string: text.text(200 + random.int(2500)) }
      : tool === 'Write' ? { file_path: `/home/runner/work/demo/demo/src/${text.sentence(1)}.ts`, content: text.text(1000 + random.int(12_000)) }
      : { pattern: text.sentence(1), path: `/home/runner/work/demo/demo/${text.sentence(1)}` };
    await emit(assistant([{ type: 'tool_use', id, name: tool, input }], 'tool_use'));
    // Tool output: mostly short, sometimes a whole file or a long test log.
    const size = random.next() < 0.1 ? 20_000 + random.int(120_000) : 200 + random.int(6000);
    const output = text.text(size);
    const isError = random.next() < 0.05;
    await emit({
      type: 'user',
      message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content: random.next() < 0.5 ? output : [{ type: 'text', text: output }], is_error: isError }] },
      parent_tool_use_id: null,
      session_id: session,
      uuid: uuid(),
      timestamp: new Date(Date.UTC(2026, 0, 1, 12, 0, lines)).toISOString(),
      tool_use_result: { stdout: output.slice(0, 2000), stderr: '', interrupted: false, isImage: false },
    });
    if (turn % 500 === 0) {
      await emit({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 10, retry_delay_ms: 1200, error_status: 529, error: 'overloaded_error', session_id: session, uuid: uuid() });
    }
  }
  await emit({ type: 'result', subtype: 'success', is_error: false, duration_ms: 3_600_000, num_turns: turn, result: 'All done.', session_id: session, total_cost_usd: 12.5, usage: usage(), uuid: uuid() });
  out.end();
  await once(out, 'close');
  return { lines, bytes: written };
}
