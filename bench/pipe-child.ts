// The stream case's baseline, in its own Node process: `cat FILE` through a Node pipe into /dev/null.
//   node pipe-child.mjs FILE RESULT.json
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { measure } from './child-measure.js';

const [file, resultFile] = process.argv.slice(2);
if (file === undefined || resultFile === undefined) throw new Error('usage: pipe-child FILE RESULT');
await measure(file, resultFile, async () => {
  const child = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await pipeline(child.stdout, createWriteStream('/dev/null'));
  return { lines: 0, events: 0, executionBytes: 0 };
});
