// `npm run demo`: the real claude CLI, run through durable-agent's CLI, against the project's local
// model API. Prints the run as it happens, then a short report of what the server saw.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startModelApi } from '../test/support/model-api.js';
import { BIN, REPO_ROOT } from '../test/support/run-action.js';
import { createWorkspace } from '../test/support/workspace.js';

const STEPS = 3;
const ws = await createWorkspace();
const api = await startModelApi({ script: { steps: STEPS } });
console.log(`Local model API on ${api.url}; workspace ${ws.repo}\n`);

const exitCode = await new Promise<number | null>((resolve) => {
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', '--agent', 'claude', '--prompt', `Do the ${STEPS}-step task.`, '--home', path.join(ws.root, 'home'), '--', '--allowedTools', 'Bash'],
    {
      cwd: ws.repo,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, HOME: ws.home, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'demo-key' },
    },
  );
  child.on('close', resolve);
});

const marks = await ws.marks();
const conversation = api.requests.filter((request) => request.kind === 'conversation');
console.log('\n── Report');
console.log(`durable-agent exit code: ${exitCode}`);
console.log(`model API requests: ${api.requests.length} (${conversation.length} in the scripted conversation)`);
console.log(`progress.txt: ${marks.join(', ') || '(empty)'}`);
const once = Array.from({ length: STEPS }, (_, i) => marks.filter((mark) => mark === `step-${i + 1}`).length === 1).every(Boolean);
console.log(once && marks.length === STEPS ? `every one of the ${STEPS} steps ran exactly once` : 'steps are missing or repeated');
await api.close();
await ws.dispose();
process.exitCode = exitCode === 0 && once ? 0 : 1;
