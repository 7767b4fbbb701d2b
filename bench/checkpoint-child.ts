// The 1 GB case's child process: one full save and one restore of a work tree whose outputs hold
// 1 GB, in a process of its own, so its peak RSS is the checkpoint code's.
//   node checkpoint-child.mjs WORK BASE CLONE STAGING STORE RESULT
import { writeFile } from 'node:fs/promises';
import { createCheckpoint, LocalStore, restoreLatest, type Lineage } from '../src/checkpoint/index.js';

const LINEAGE: Lineage = { repository: 'octo/bench', workflow: 'agent.yml', job: 'agent', checkpointId: 'bench-1gb', runId: '1' };

async function main(): Promise<void> {
  const [work = '', base = '', clone = '', staging = '', storeDir = '', resultFile = ''] = process.argv.slice(2);
  const store = new LocalStore(storeDir);
  const started = performance.now();
  const created = await createCheckpoint({ workspace: work, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence: 1, attempt: 1, agent: 'claude', checkpointPaths: 'results/**', secrets: ['sk-ant-bench-0123456789abcdef0123456789abcdef'] });
  await store.save({ dir: created.dir, lineage: LINEAGE, sequence: 1, attempt: 1, createdAt: created.manifest.createdAt });
  const saveMs = performance.now() - started;
  const saveRss = process.resourceUsage().maxRSS * 1024;
  const restoreStarted = performance.now();
  const warnings: string[] = [];
  const restored = await restoreLatest(store, LINEAGE, { workspace: clone, tempDir: staging, checkpointPaths: 'results/**', warn: (message) => warnings.push(message) });
  if (restored === undefined) throw new Error(`not restored: ${warnings.join('; ')}`);
  const restoreMs = performance.now() - restoreStarted;
  await writeFile(resultFile, JSON.stringify({ saveMs, restoreMs, saveRssBytes: saveRss, maxRssBytes: process.resourceUsage().maxRSS * 1024, storedBytes: created.sizeBytes }));
}

await main();
