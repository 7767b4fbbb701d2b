/** Where a command writes: `out` its result (help asked for, a table, `--json`, `name=value` lines), `err` everything else. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * The io of the CLI's process, set up once by its entry point. Scripts parse stdout, so it carries
 * only the command's result: what libraries print there themselves (@actions/core's `::debug::`
 * and progress lines, from the Actions cache and artifact clients) goes to stderr instead.
 */
export function processIo(): CommandIo {
  const stdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);
  return {
    out: (text) => {
      stdout(text);
    },
    err: (text) => {
      process.stderr.write(text);
    },
  };
}
