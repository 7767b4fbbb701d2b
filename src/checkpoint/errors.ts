/** Why a checkpoint was refused; lets callers tell "corrupt" from "not ours" without parsing text. */
export type RejectionKind =
  | 'manifest'
  | 'integrity'
  | 'foreign-repository'
  | 'foreign-lineage'
  | 'checkout-ahead'
  | 'base-missing'
  | 'workspace'
  | 'unsafe-archive'
  | 'signature'
  | 'bounds'
  | 'restore-failed';

/**
 * A checkpoint that failed validation. Thrown before anything is written whenever the problem can be
 * seen up front (all checks except the bundle's snapshot parent run before the first write).
 */
export class CheckpointRejected extends Error {
  constructor(
    readonly kind: RejectionKind,
    readonly reason: string,
  ) {
    super(`checkpoint rejected (${kind}): ${reason}`);
    this.name = 'CheckpointRejected';
  }
}
