import { parse } from 'shell-quote';

/**
 * Splits extra CLI arguments the way a POSIX shell would (quotes, escapes, newlines), without
 * expanding variables: `$HOME` stays literal, as it does in claude-code-action's `claude_args`.
 * Shell operators (`|`, `;`, `&&`, redirections) have no meaning here and are refused.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  // A backslash before a newline continues the line in a shell; shell-quote would keep an empty word.
  for (const entry of parse(text.replace(/\\\r?\n/g, ' '), (name) => `$${name}`)) {
    if (typeof entry === 'string') {
      words.push(entry);
    } else if ('comment' in entry) {
      continue;
    } else if ('op' in entry && entry.op === 'glob') {
      words.push(entry.pattern);
    } else {
      throw new Error(`shell operator '${'op' in entry ? entry.op : '?'}' is not allowed`);
    }
  }
  return words;
}
