// A few lines out of a V8 `--cpu-prof` profile: where the samples fell, by function and by file.
import { readdir, readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number(), columnNumber: z.number() }),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
  startTime: z.number(),
  endTime: z.number(),
});

function shortUrl(url: string, repoRoot: string): string {
  if (url === '') return '(native/V8)';
  const plain = url.replace(/^file:\/\//, '');
  const nodeModules = plain.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) {
    const rest = plain.slice(nodeModules + '/node_modules/'.length).split('/');
    const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? '');
    // The bench's own bundles live in node_modules/.cache.
    return name === '.cache' ? path.basename(plain) : name;
  }
  if (plain.startsWith(repoRoot)) return path.relative(repoRoot, plain);
  // The bench's private build of the action.
  const dist = plain.lastIndexOf('/dist/');
  return dist >= 0 ? plain.slice(dist + 1) : plain;
}

type Frame = z.infer<typeof profileSchema>['nodes'][number]['callFrame'];

/** Source maps of bundled files (the bench's own bundles have them; dist/ has none). */
async function sourceMapOf(url: string, cache: Map<string, SourceMap | undefined>): Promise<SourceMap | undefined> {
  if (cache.has(url)) return cache.get(url);
  let map: SourceMap | undefined;
  if (url.startsWith('file://')) {
    try {
      map = new SourceMap(JSON.parse(await readFile(`${fileURLToPath(url)}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = undefined;
    }
  }
  cache.set(url, map);
  return map;
}

/** Where a frame came from: the original source file and line when the bundle has a source map. */
async function locate(frame: Frame, repoRoot: string, cache: Map<string, SourceMap | undefined>): Promise<{ file: string; line: number | undefined }> {
  const map = await sourceMapOf(frame.url, cache);
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
  if (entry && 'originalSource' in entry && typeof entry.originalSource === 'string') {
    const source = entry.originalSource.replace(/^file:\/\//, '');
    const absolute = path.isAbsolute(source) ? source : path.resolve(path.dirname(fileURLToPath(frame.url)), source);
    return { file: shortUrl(`file://${absolute}`, repoRoot), line: entry.originalLine + 1 };
  }
  return { file: shortUrl(frame.url, repoRoot), line: frame.url ? frame.lineNumber + 1 : undefined };
}

/** Summarizes every .cpuprofile in `dir` (one process each, or several runs of one): top functions and files by self time. */
export async function summarizeProfiles(dir: string, repoRoot: string, top = 12): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).sort();
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalUs = 0;
  let wallUs = 0;
  const maps = new Map<string, SourceMap | undefined>();
  for (const name of files) {
    const profile = profileSchema.parse(JSON.parse(await readFile(path.join(dir, name), 'utf8')));
    wallUs += profile.endTime - profile.startTime;
    const labels = new Map<number, { fn: string; file: string }>();
    for (const node of profile.nodes) {
      const where = await locate(node.callFrame, repoRoot, maps);
      labels.set(node.id, { fn: `${node.callFrame.functionName || '(anonymous)'}  ${where.file}${where.line === undefined ? '' : `:${where.line}`}`, file: where.file });
    }
    profile.samples.forEach((id, index) => {
      const label = labels.get(id);
      const delta = profile.timeDeltas[index] ?? 0;
      if (label === undefined) return;
      totalUs += delta;
      byFunction.set(label.fn, (byFunction.get(label.fn) ?? 0) + delta);
      byFile.set(label.file, (byFile.get(label.file) ?? 0) + delta);
    });
  }
  const rank = (map: Map<string, number>): string[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([label, us]) => `  ${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / Math.max(1, totalUs)).toFixed(1).padStart(5)}%  ${label}`);
  return [
    `cpu profile: ${files.length} process(es), ${(wallUs / 1000).toFixed(0)} ms profiled, ${(totalUs / 1000).toFixed(0)} ms of samples`,
    'by function (self time):',
    ...rank(byFunction),
    'by file / package (self time):',
    ...rank(byFile),
  ];
}
