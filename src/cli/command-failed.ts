/** A failure that is not the caller's typing: one line on stderr, exit 1. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}
