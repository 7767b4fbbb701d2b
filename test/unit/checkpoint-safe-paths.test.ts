import { describe, expect, it } from 'vitest';
import {
  archiveEntriesProblem,
  entryComponents,
  folderMayHoldMatches,
  globMatcher,
  isCredentialFile,
  isInside,
  parseCheckpointPaths,
  pathSelector,
  patternsWithoutMatches,
  sqliteGroupOf,
  staticRoot,
} from '../../src/checkpoint/safe-paths.js';
import type { TarEntry } from '../../src/checkpoint/tar-entry.js';

const ROOT = '/work/repo';

function entry(name: string, type: TarEntry['type'] = 'file', linkTarget = '', mode = 0o644): TarEntry {
  return { path: name, names: [name], type, typeflag: { file: '0', directory: '5', symlink: '2', hardlink: '1', other: '3' }[type], linkTarget, linkTargets: linkTarget ? [linkTarget] : [], mode, size: 0 };
}

const problem = (entries: TarEntry[], options: { forbidGitDirs?: boolean; allowedRoots?: string[] } = {}): string | undefined =>
  archiveEntriesProblem(entries, { root: ROOT, forbidGitDirs: options.forbidGitDirs ?? true, allowedRoots: options.allowedRoots });

describe('isInside', () => {
  it.each([
    ['/a/b', '/a/b', true],
    ['/a/b', '/a/b/c', true],
    ['/a/b', '/a/b/..c', true],
    ['/a/b', '/a/bc', false],
    ['/a/b', '/a', false],
    ['/a/b', '/a/b/../c', false],
  ])('%s holds %s: %s', (parent, child, expected) => {
    expect(isInside(parent, child)).toBe(expected);
  });
});

describe('entryComponents', () => {
  it('accepts plain relative names, with our ./ prefix and a folder slash', () => {
    expect(entryComponents('./results/a b/c.txt')).toEqual({ components: ['results', 'a b', 'c.txt'] });
    expect(entryComponents('dir/')).toEqual({ components: ['dir'] });
    expect(entryComponents('..hidden')).toEqual({ components: ['..hidden'] });
  });

  it.each(['../x', 'a/../../x', '/etc/passwd', '', './', 'a//b', 'a/./b', '..'])('refuses %j', (name) => {
    expect(entryComponents(name)).toHaveProperty('problem');
  });
});

describe('archiveEntriesProblem', () => {
  it('accepts files, folders, links inside the root and hard links to earlier files', () => {
    expect(
      problem([
        entry('results', 'directory'),
        entry('results/a.bin'),
        entry('results/latest', 'symlink', 'a.bin'),
        entry('results/up', 'symlink', '..'),
        entry('results/abs', 'symlink', `${ROOT}/results/a.bin`),
        entry('results/chain', 'symlink', 'latest'),
        entry('results/hard', 'hardlink', 'results/a.bin'),
      ]),
    ).toBeUndefined();
  });

  it.each([
    [[entry('../x')], /'\.\.' in '\.\.\/x'/],
    [[entry('/etc/cron.d/x')], /absolute path/],
    [[entry('up', 'symlink', '..')], /points outside/],
    [[entry('a/b/up', 'symlink', '../../..')], /points outside/],
    [[entry('abs', 'symlink', '/etc')], /points outside: '\/etc'/],
    [[entry('abs', 'symlink', '/work/repository')], /points outside/],
    [[entry('empty', 'symlink', '')], /empty target/],
    [[entry('link', 'symlink', 'inside'), entry('link/x')], /lies under the link 'link'/],
    [[entry('link/x'), entry('link', 'symlink', 'inside')], /lies under the link 'link'/],
    [[entry('b', 'symlink', '.'), entry('a', 'symlink', 'b/..')], /goes through the link 'b'/],
    [[entry('h', 'hardlink', '/etc/shadow')], /hard link 'h': absolute path/],
    [[entry('h', 'hardlink', 'later'), entry('later')], /not an earlier file/],
    [[entry('dev', 'other')], /unsupported entry type '3'/],
    [[entry('suid', 'file', '', 0o4755)], /set-id/],
    [[entry('.git/hooks/pre-commit')], /inside a \.git folder/],
    [[entry('vendor/.GIT/config')], /inside a \.git folder/],
  ])('refuses %j', (entries, reason) => {
    expect(problem(entries)).toMatch(reason);
  });

  it('checks every name a header offers, not only the one tar prefers', () => {
    expect(problem([{ ...entry('innocent'), names: ['innocent', '../evil'] }])).toMatch(/'\.\.' in '\.\.\/evil'/);
    expect(problem([{ ...entry('l', 'symlink', 'ok'), linkTargets: ['ok', '/etc'] }])).toMatch(/points outside/);
  });

  it('allows .git folders where the root is not in a work tree', () => {
    expect(problem([entry('opencode/snapshot/.git/HEAD')], { forbidGitDirs: false })).toBeUndefined();
  });

  it('keeps entries under the declared roots when given', () => {
    expect(problem([entry('results/a'), entry('model.ckpt')], { allowedRoots: ['results', 'model.ckpt'] })).toBeUndefined();
    expect(problem([entry('results-not/a')], { allowedRoots: ['results'] })).toMatch(/outside the declared paths/);
    expect(problem([entry('anything/at/all')], { allowedRoots: [''] })).toBeUndefined();
  });
});

describe('checkpoint_paths patterns', () => {
  it('parses lines, comments and excludes, and refuses paths leaving the workspace', () => {
    expect(parseCheckpointPaths('results/**\n\n# comment\n  !results/tmp/**  \n./*.ckpt\n/etc/x\n../up\nC:/x\n')).toEqual({
      patterns: [
        { negate: false, pattern: 'results/**' },
        { negate: true, pattern: 'results/tmp/**' },
        { negate: false, pattern: '*.ckpt' },
      ],
      problems: [
        "checkpoint path '/etc/x' must be relative to the workspace",
        "checkpoint path '../up' must not contain '..'",
        "checkpoint path 'C:/x' must be relative to the workspace",
      ],
    });
  });

  it('finds the static root of a pattern', () => {
    expect(staticRoot('results/**')).toBe('results');
    expect(staticRoot('out/run-*/logs/*.txt')).toBe('out');
    expect(staticRoot('*.ckpt')).toBe('');
    expect(staticRoot('model/weights.bin')).toBe('model/weights.bin');
  });

  it('selects paths in order, with folders bringing their contents', () => {
    const selected = pathSelector(parseCheckpointPaths('results/**\n!results/tmp/**\nresults/tmp/keep.txt\n*.ckpt\nlogs').patterns);
    expect(['results', 'results/a.json', 'results/tmp', 'results/tmp/x', 'results/tmp/keep.txt', 'model.ckpt', 'sub/model.ckpt', 'logs/a/b.txt', 'src/main.ts'].filter(selected)).toEqual([
      'results',
      'results/a.json',
      'results/tmp/keep.txt',
      'model.ckpt',
      'logs/a/b.txt',
    ]);
  });

  it('walks only folders that can hold a match', () => {
    const mayHold = folderMayHoldMatches(parseCheckpointPaths('out/run-*/logs/*.txt\n*.ckpt\ndeep/**/x').patterns);
    expect(['out', 'out/run-1', 'out/run-1/logs', 'out/run-1/logs/more', 'out/other', 'node_modules', 'deep', 'deep/a/b/c'].filter(mayHold)).toEqual([
      'out',
      'out/run-1',
      'out/run-1/logs',
      'deep',
      'deep/a/b/c',
    ]);
  });
});

describe('globMatcher', () => {
  it.each([
    ['*.log', 'a/b/c.log', true],
    ['*.log', 'c.log.txt', false],
    ['statsig/**', 'statsig', true],
    ['statsig/**', 'statsig/a/b', true],
    ['statsig/**', 'statsigx', false],
    ['**/cache/*', 'a/b/cache/x', true],
    ['**/cache/*', 'cache/x', true],
    ['**/cache/*', 'cache/x/y', false],
    ['file?.[ch]', 'dir/file1.c', true],
    ['file[!0-9].c', 'file1.c', false],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (pattern, file, expected) => {
    expect(globMatcher(pattern)(file)).toBe(expected);
  });

  it('anchors patterns without a slash when asked', () => {
    expect(globMatcher('*.ckpt', { anchored: true })('sub/model.ckpt')).toBe(false);
    expect(globMatcher('*.ckpt', { anchored: true })('model.ckpt')).toBe(true);
  });
});

describe('agent state helpers', () => {
  it.each([
    ['.credentials.json', true],
    ['opencode/auth.json', true],
    ['x/aws-credentials.txt', true],
    ['CREDENTIALS', true],
    ['projects/-repo/session.jsonl', false],
    ['author.json', false],
  ])('isCredentialFile(%s) = %s', (name, expected) => {
    expect(isCredentialFile(name)).toBe(expected);
  });

  it('groups SQLite side files with their database', () => {
    expect(['opencode/opencode.db', 'opencode/opencode.db-wal', 'opencode/opencode.db-shm', 'a.sqlite-journal', 'notes-wal'].map(sqliteGroupOf)).toEqual([
      'opencode/opencode.db',
      'opencode/opencode.db',
      'opencode/opencode.db',
      'a.sqlite',
      'notes-wal',
    ]);
  });
});

describe('globMatcher, braces and the shell bracket negation', () => {
  it.each([
    ['*.{ckpt,pt}', 'runs/model.pt', true],
    ['*.{ckpt,pt}', 'runs/model.ckpt', true],
    ['*.{ckpt,pt}', 'runs/model.bin', false],
    ['results/{a,b}/**', 'results/b/x.txt', true],
    ['file[!0-9].c', 'filex.c', true],
    ['*', '.hidden', true],
  ])('%s matches %s: %s', (pattern, file, expected) => {
    expect(globMatcher(pattern)(file)).toBe(expected);
  });
});

describe('patternsWithoutMatches', () => {
  it('names each include pattern that selected nothing', () => {
    const { patterns } = parseCheckpointPaths('results/**\n*.{ckpt,pt}\nlogs/*.txt\n!results/tmp/**\nmodels');
    expect(patternsWithoutMatches(patterns, ['results', 'results/a.json', 'model.pt', 'models/x/y.bin'])).toEqual(['logs/*.txt']);
  });
});
