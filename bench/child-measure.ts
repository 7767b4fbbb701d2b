// For the stream case's child processes: time a body, and record the process's peak RSS and where
// the memory sat at the sampled peak (V8 heap, or buffers outside it).
import { stat, writeFile } from 'node:fs/promises';

export interface Counts {
  readonly lines: number;
  readonly events: number;
  readonly executionBytes: number;
}

export async function measure(file: string, resultFile: string, body: () => Promise<Counts>): Promise<void> {
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = (): void => {
    const usage = process.memoryUsage();
    if (usage.rss > peak.rss) Object.assign(peak, { rss: usage.rss, heapTotal: usage.heapTotal, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers });
  };
  const sampler = setInterval(sample, 50);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const counts = await body();
  const ms = performance.now() - started;
  // CPU time of this process alone (user + system): less swayed than wall time by a busy machine.
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  sample();
  await writeFile(resultFile, JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, bytes: (await stat(file)).size, maxRssBytes: process.resourceUsage().maxRSS * 1024, atPeak: peak, ...counts }));
}
