// The stream case, in its own Node process (so that its peak RSS is its own): feeds a stream-json
// file through the supervisor as an attempt does.
//   node stream-child.mjs FILE WORKDIR RESULT.json
// stdout is /dev/null (the parent spawns it so): the transcript goes to the Actions log as in a run.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseClaudeLine } from '../src/agents/claude.js';
import { ExecutionFile } from '../src/report/execution-file.js';
import { actionsLog, redactingLog } from '../src/report/log.js';
import { createEventConsumer } from '../src/runner/event-consumer.js';
import { EvidenceCollector } from '../src/runner/evidence.js';
import { supervise } from '../src/runner/supervise.js';
import { createRedactor } from '../src/settings/known-secrets.js';
import { measure, type Counts } from './child-measure.js';

async function run(input: string, dir: string): Promise<Counts> {
  // As in a run: the pipeline redacts the known secrets (here one API key, absent from the stream)
  // in the execution file and in the log.
  const redact = createRedactor(['sk-ant-bench-0123456789abcdef']);
  const executionFile = await ExecutionFile.open(path.join(dir, 'execution.ndjson'), { redact });
  const evidence = new EvidenceCollector(undefined);
  let lines = 0;
  let events = 0;
  // The attempt's own event path (runAttempt builds the same consumer), counting what it sees.
  const consume = createEventConsumer({
    parseLine: (line) => {
      lines += 1;
      const parsed = parseClaudeLine(line);
      events += parsed.length;
      return parsed;
    },
    executionFile,
    log: redactingLog(actionsLog(), redact),
    evidence,
  });
  const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const outcome = await supervise({
    file: 'cat',
    args: [input],
    cwd: dir,
    env,
    attemptTimeoutMs: 3_600_000,
    idleTimeoutMs: 15 * 60_000,
    killGraceMs: 5000,
    onBatch: consume,
  });
  await executionFile.close();
  if (outcome.exitCode !== 0) throw new Error(`cat exited ${outcome.exitCode ?? outcome.signal ?? '?'}`);
  if (evidence.result?.isError !== false) throw new Error('the final result line was not seen');
  return { lines, events, executionBytes: (await stat(executionFile.path)).size };
}

const [file, workDir, resultFile] = process.argv.slice(2);
if (file === undefined || workDir === undefined || resultFile === undefined) throw new Error('usage: stream-child FILE WORKDIR RESULT');
await measure(file, resultFile, () => run(file, workDir));
