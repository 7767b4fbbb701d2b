import { describe, expect, it } from 'vitest';
import { lineageHash, type Lineage } from '../../src/checkpoint/index.js';
import { localKey, parseLocalKey } from '../../src/checkpoint/local-store.js';
import { cacheKey, packKey, parseCacheKey } from '../../src/checkpoint/stores/actions-cache.js';
import { artifactName, parseArtifactName } from '../../src/checkpoint/stores/artifact.js';

const LINEAGE: Lineage = { repository: 'octo/demo', workflow: 'agent', job: 'agent', checkpointId: 'build (linux/x64): 18', runId: '1001' };
const HASH = lineageHash(LINEAGE);
const SEQUENCES = [0, 1, 42, 999_999, 1_000_000, 999_999_999];

describe('each store parses the keys it formats', () => {
  it.each(SEQUENCES)('local store, sequence %i', (sequence) => {
    const key = localKey(HASH, sequence);
    expect(parseLocalKey(key)).toEqual({ key, hash: HASH, sequence });
  });

  it('local store: an unpadded sequence names the same folder', () => {
    expect(parseLocalKey(`${HASH}/12`)).toEqual({ key: localKey(HASH, 12), hash: HASH, sequence: 12 });
  });

  it.each(SEQUENCES)('actions cache, sequence %i', (sequence) => {
    expect(parseCacheKey(cacheKey(LINEAGE, sequence))).toEqual({ hash: HASH, sequence });
  });

  it.each(SEQUENCES)('artifact, sequence %i', (sequence) => {
    const name = artifactName(LINEAGE.checkpointId, 3, sequence);
    expect(parseArtifactName(name)).toEqual({ attempt: 3, sequence });
    expect(parseArtifactName(name, LINEAGE.checkpointId)).toEqual({ attempt: 3, sequence });
  });

  it('artifact: a name of another checkpoint id is not claimed', () => {
    expect(parseArtifactName(artifactName('x-a1', 1, 5), 'x')).toBeUndefined();
    expect(parseArtifactName(artifactName('x', 1, 5), 'x-a1')).toBeUndefined();
  });
});

describe('junk keys are refused', () => {
  it.each([
    '', '0123456789abcdef', '0123456789abcdef/', '0123456789ABCDEF/000001', '0123456789abcde/000001', '../000001',
    '0123456789abcdef/../../x', '/etc/passwd', '0123456789abcdef/-1', '0123456789abcdef/1000000000', ' 0123456789abcdef/000001',
  ])('local %j', (key) => expect(parseLocalKey(key)).toBeUndefined());

  it.each([
    '', 'durable-agent-v2-xyz-m-000001', 'durable-agent-v2-0123456789abcdef-m-1', 'durable-agent-v2-0123456789abcdef-m-1000000000',
    'durable-agent-v1-0123456789abcdef-m-000001', 'durable-agent-v2-0123456789abcdef-m-000001x', packKey(LINEAGE, ['a', 'b']),
  ])('cache %j', (key) => expect(parseCacheKey(key)).toBeUndefined());

  it.each([
    '', 'durable-agent-agent-a0-000001', 'durable-agent-agent-a1-1', 'durable-agent-agent-a1-1000000000', 'durable-agent--a1', 'other-agent-a1-000001', 'durable-agent-agent-a-000001',
  ])('artifact %j', (name) => expect(parseArtifactName(name)).toBeUndefined());
});
