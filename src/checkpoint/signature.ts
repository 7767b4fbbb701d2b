// `checkpoint_signing_key`: an HMAC-SHA256 over the manifest, which names every object by its hash,
// so the signature covers every byte a restore writes.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { manifestSchema, serializeManifest, type CheckpointManifest } from './manifest.js';

function unsignedText(manifest: CheckpointManifest): string {
  const rest: Partial<CheckpointManifest> = { ...manifest };
  delete rest.signature;
  return serializeManifest(manifestSchema.parse(rest));
}

export function signManifest(manifest: CheckpointManifest, key: string): CheckpointManifest {
  const signature = createHmac('sha256', key).update(unsignedText(manifest)).digest('hex');
  return { ...manifest, signature };
}

/** Why a manifest's signature is not acceptable under `key`, or undefined when it is. */
export function signatureProblem(manifest: CheckpointManifest, key: string): string | undefined {
  if (manifest.signature === undefined) return 'it is not signed and checkpoint_signing_key is set';
  const expected = Buffer.from(createHmac('sha256', key).update(unsignedText(manifest)).digest('hex'), 'hex');
  const actual = Buffer.from(manifest.signature, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? undefined : 'its signature does not match checkpoint_signing_key';
}
