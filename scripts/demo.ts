// `npm run demo`: the point of durable-agent in one minute. The real claude CLI runs a scripted
// 5-step task against the project's local model API, which injects a burst of 500s longer than
// the CLI's own retries and a 529 storm. First plain claude (what claude-code-action runs), then
// the same through durable-agent.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startModelApi, type Fault } from '../test/support/model-api.js';
import { BIN, CLAUDE, REPO_ROOT } from '../test/support/run-action.js';
import { createWorkspace, type Workspace } from '../test/support/workspace.js';

const STEPS = 5;
// Claude Code retries each call itself (10 times by default, about 3 minutes); 2 keeps the demo short.
const CLAUDE_RETRIES = 2;
const PROXY_TRIES = 3;
const FAULTS: Fault[] = [
  // Longer than the proxy and the CLI together (3 × 3 tries), plus one more for the resumed run.
  { kind: 'http500', at: { step: 2 }, count: PROXY_TRIES * (CLAUDE_RETRIES + 1) + 1, retryAfterSeconds: 0 },
  { kind: 'http529', at: { step: 4 }, count: 5, retryAfterSeconds: 0 },
];

function run(command: string, args: string[], ws: Workspace, env: Record<string, string>, echo: boolean): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ws.repo, stdio: ['ignore', 'pipe', echo ? 'inherit' : 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (echo) process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

function stepsLine(marks: string[]): string {
  const counts = Array.from({ length: STEPS }, (_, i) => marks.filter((mark) => mark === `step-${i + 1}`).length);
  const once = counts.every((count) => count === 1);
  return `${counts.map((count, i) => `step-${i + 1}×${count}`).join(' ')} → ${once ? 'every step ran exactly once' : 'steps missing or repeated'}`;
}

async function scenario(title: string, body: (ws: Workspace, env: Record<string, string>) => Promise<{ code: number | null; stdout: string }>) {
  const ws = await createWorkspace();
  const api = await startModelApi({ script: { steps: STEPS }, faults: FAULTS });
  const env = { PATH: `${BIN}:${process.env.PATH ?? ''}`, HOME: ws.home, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'demo-key', CLAUDE_CODE_MAX_RETRIES: String(CLAUDE_RETRIES) };
  console.log(`\n════ ${title}`);
  const result = await body(ws, env);
  const marks = await ws.marks();
  const failed = api.requests.filter((request) => request.fault !== undefined).length;
  await api.close();
  await ws.dispose();
  return { ...result, marks, failed, served: api.requests.length };
}

console.log(`A ${STEPS}-step task. The model API fails ${FAULTS[0]?.count ?? 0} calls in a row with 500 at step 2 and ${FAULTS[1]?.count ?? 0} with 529 at step 4.`);

const plain = await scenario('Plain claude -p (as anthropics/claude-code-action runs it)', (ws, env) =>
  run(CLAUDE, ['-p', `Do the ${STEPS}-step task.`, '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Bash'], ws, { ...env, CLAUDE_CONFIG_DIR: path.join(ws.root, 'claude') }, false),
);
console.log(`exit code ${plain.code}; ${plain.failed} of ${plain.served} API calls failed; ${stepsLine(plain.marks)}`);

const durable = await scenario('The same through durable-agent', (ws, env) =>
  run(
    process.execPath,
    [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', '--agent', 'claude', '--prompt', `Do the ${STEPS}-step task.`, '--home', path.join(ws.root, 'home'),
      '--api-retry-attempts', String(PROXY_TRIES), '--api-max-delay', '500ms', '--initial-delay', '1s', '--max-delay', '2s', '--', '--allowedTools', 'Bash'],
    ws,
    env,
    true,
  ),
);
const outputs = Object.fromEntries(durable.stdout.split('\n').filter((line) => /^\w+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));

console.log('\n════ Report');
console.log(`plain claude:   ${plain.code === 0 ? 'succeeded' : `FAILED (exit ${plain.code})`} — ${stepsLine(plain.marks)}`);
console.log(`durable-agent:  ${outputs.conclusion ?? '?'} — ${stepsLine(durable.marks)}`);
console.log(`  agent attempts: ${outputs.attempts ?? '?'} (${outputs.resumed_sessions ?? '?'} resumed the same session ${outputs.session_id ?? ''})`);
console.log(`  API calls retried by the proxy: ${outputs.api_retries ?? '?'}; failed calls served by the model API: ${durable.failed}`);
process.exitCode = outputs.conclusion === 'success' && durable.marks.length === STEPS ? 0 : 1;
