import * as core from '@actions/core';

/** Where the pipeline writes for people: the Actions log (groups, annotations) or a terminal. */
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  group<T>(title: string, body: () => Promise<T>): Promise<T>;
}

export function actionsLog(): Log {
  return {
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    error: (message) => core.error(message),
    debug: (message) => core.debug(message),
    group: (title, body) => core.group(title, body),
  };
}

export function terminalLog(stream: NodeJS.WritableStream = process.stderr, verbose = false): Log {
  const write = (text: string): void => {
    stream.write(text.endsWith('\n') ? text : `${text}\n`);
  };
  return {
    info: write,
    warning: (message) => write(`warning: ${message}`),
    error: (message) => write(`error: ${message}`),
    debug: (message) => {
      if (verbose) write(`debug: ${message}`);
    },
    group: async (title, body) => {
      write(`── ${title}`);
      return body();
    },
  };
}

/** The same log with every message passed through `redact` first (known secrets become `***`). */
export function redactingLog(log: Log, redact: (text: string) => string): Log {
  return {
    info: (message) => log.info(redact(message)),
    warning: (message) => log.warning(redact(message)),
    error: (message) => log.error(redact(message)),
    debug: (message) => log.debug(redact(message)),
    group: (title, body) => log.group(redact(title), body),
  };
}
