// Every output, state and environment name the action reads or writes, so that main, post and the
// tests agree on one spelling.

export const Outputs = {
  conclusion: 'conclusion',
  sessionId: 'session_id',
  /** claude-code-action's format: one JSON array of the agent's messages, written at the end. */
  executionFile: 'execution_file',
  /** Every event line the agent printed, across attempts (NDJSON), written as it goes. */
  executionLog: 'execution_log',
  /** claude-code-action's: the final result's structured_output when --json-schema was given. */
  structuredOutput: 'structured_output',
  /** CLAUDE_CONFIG_DIR of the run, so a later step can `claude --resume` the session. */
  claudeConfigDir: 'claude_config_dir',
  failureReason: 'failure_reason',
  attempts: 'attempts',
  resumedSessions: 'resumed_sessions',
  freshSessionFallbacks: 'fresh_session_fallbacks',
  apiRetries: 'api_retries',
  resumed: 'resumed',
  restoredFrom: 'restored_from',
  checkpointKey: 'checkpoint_key',
  checkpointsSaved: 'checkpoints_saved',
  /** Watchdog mode: rerun or skip, and why. */
  decision: 'decision',
  reason: 'reason',
} as const;
export type OutputName = (typeof Outputs)[keyof typeof Outputs];

export const States = {
  mainStarted: 'durable_main_started',
  mainFinished: 'durable_main_finished',
  stateDir: 'durable_state_dir',
  /** The highest checkpoint sequence main used, so the post step continues after it. */
  lastSequence: 'durable_last_sequence',
  sessionId: 'durable_session_id',
  baseCommit: 'durable_base_commit',
  /** JSON: the attempt history and totals, for the post step's checkpoint manifest. */
  history: 'durable_history',
} as const;

/** Variables of the runner that grant access to the run's own services; the agent never sees them. */
export const RUNNER_CREDENTIAL_VARIABLES = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_RUNTIME_URL',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
] as const;

/**
 * The runner's command files: a step that writes them sets the job's environment and PATH for
 * later steps, its outputs, its post step's state and the job summary. They are the action's to
 * write, never the agent's.
 */
export const RUNNER_COMMAND_FILE_VARIABLES = ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'] as const;
