/**
 * The quote a shell would still be waiting to close at the end of `text` (`'` or `"`), or
 * undefined when every quote is closed. Backslash escapes outside single quotes and `#` comments
 * at the start of a word are honoured, so `don\'t` and `# don't` are balanced. Kept apart from the
 * splitter because a lenient splitter reads `"Bash` as `Bash` and the mistake goes unnoticed.
 */
export function openQuote(text: string): '"' | "'" | undefined {
  let quote: '"' | "'" | undefined;
  let wordStart = true;
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (quote === "'") {
      if (char === "'") quote = undefined;
      continue;
    }
    if (char === '\\') {
      index += 1;
      wordStart = false;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = undefined;
      continue;
    }
    if (char === '#' && wordStart) {
      const end = text.indexOf('\n', index);
      if (end < 0) break;
      index = end;
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    wordStart = /\s/.test(char);
  }
  return quote;
}
