import { parse } from 'shell-quote';

// claude-code-action (base-action/src/parse-sdk-options.ts) splits `claude_args` with shell-quote
// after two preparations, and a workflow moved from it must get the same words:
// - lines whose first non-blank character is `#` are removed first (shell-quote would otherwise
//   swallow everything after the first `#`, later lines included);
// - `()|&;<>` are literal characters, not shell operators, so `Bash(git:*)` stays one word. They
//   are swapped for private-use code points around the parse and swapped back after.
// Variables are not kept: shell-quote replaces `$NAME` (unquoted or in double quotes) with the
// empty string, as it does there (single-quote them to pass a literal `$`). A `#` inside a line still starts a comment up to the end.
const META_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['(', '\uE000'],
  [')', '\uE001'],
  ['|', '\uE002'],
  ['&', '\uE003'],
  [';', '\uE004'],
  ['<', '\uE005'],
  ['>', '\uE006'],
];
const ESCAPE = new Map(META_PAIRS.map(([meta, stand]) => [meta, stand]));
const UNESCAPE = new Map(META_PAIRS.map(([meta, stand]) => [stand, meta]));

function escapeMeta(text: string): string {
  return text.replace(/[()|&;<>]/g, (char) => ESCAPE.get(char) ?? char);
}

function unescapeMeta(text: string): string {
  return text.replace(/[\uE000-\uE006]/g, (char) => UNESCAPE.get(char) ?? char);
}

export function stripCommentLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
}

/**
 * The quote left open at the end of `text`, if any, read the way shell-quote reads it: single
 * quotes take everything literally, double quotes and bare text honour backslash escapes, and an
 * unquoted `#` starts a comment that runs to the end. (shell-quote itself accepts an open quote
 * silently and drops or merges words; a typo must fail instead.)
 */
export function unclosedQuote(text: string): '"' | "'" | undefined {
  let open: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (open === "'") {
      if (char === "'") open = undefined;
    } else if (open === '"') {
      if (char === '\\') i++;
      else if (char === '"') open = undefined;
    } else if (char === '\\') {
      i++;
    } else if (char === '"' || char === "'") {
      open = char;
    } else if (char === '#') {
      return undefined;
    }
  }
  return open;
}

/** Splits `claude_args` (and `opencode_args`) into argv words exactly as claude-code-action does. */
export function splitShellWords(text: string): string[] {
  const prepared = stripCommentLines(text);
  const quote = unclosedQuote(prepared);
  if (quote !== undefined) throw new Error(`a ${quote === '"' ? 'double' : 'single'} quote is not closed`);
  const words: string[] = [];
  for (const entry of parse(escapeMeta(prepared))) {
    if (typeof entry === 'string') words.push(unescapeMeta(entry));
    // With the operators escaped, the only other entries are globs (a bare word holding * ? or [),
    // kept verbatim so `Read(src/**)` passes through, and comments, which are dropped.
    else if ('pattern' in entry) words.push(unescapeMeta(entry.pattern));
  }
  // claude-code-action never passes an empty word on (its flag parser takes '' as no value), and
  // an empty word here would reach the CLI as an empty prompt or value.
  return words.filter((word) => word !== '');
}
