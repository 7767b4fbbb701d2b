// One entry of a folder listing as the path-safety checks see it (the shape tar headers give).

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** The name the entry is written to. */
  readonly path: string;
  /** Every name the entry was given; all must be safe. */
  readonly names: readonly string[];
  readonly type: TarEntryType;
  /** The raw type flag, for messages. */
  readonly typeflag: string;
  /** Link target for symlinks and hard links ('' otherwise). */
  readonly linkTarget: string;
  readonly linkTargets: readonly string[];
  readonly mode: number;
  readonly size: number;
}
