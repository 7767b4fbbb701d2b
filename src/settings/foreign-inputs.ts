// Inputs of anthropics/claude-code-action that durable-agent's own run does not serve. GitHub only
// warns about an unexpected input, so a workflow moved over unchanged would silently do something
// else: these fail (or, where nothing changes, warn) with a line that says where to go instead.

const GUARD_HINT = 'put durable-agent/durable-agent/guard@v0 before anthropics/claude-code-action@v1 instead (README: Migrating from claude-code-action)';

/** Tag mode and its GitHub tooling, with claude-code-action's defaults (a default value changes nothing). */
const TAG_MODE_INPUTS: Readonly<Record<string, string>> = {
  trigger_phrase: '@claude',
  assignee_trigger: '',
  label_trigger: 'claude',
  base_branch: '',
  branch_prefix: 'claude/',
  branch_name_template: '',
  allowed_bots: '',
  allowed_non_write_users: '',
  include_comments_by_actor: '',
  exclude_comments_by_actor: '',
  additional_permissions: '',
  use_sticky_comment: 'false',
  classify_inline_comments: 'true',
  use_commit_signing: 'false',
  ssh_signing_key: '',
  bot_id: '41898282',
  bot_name: 'claude[bot]',
  track_progress: 'false',
  include_fix_links: 'true',
};

/** Features of claude-code-action that durable-agent does not copy. */
const UNSUPPORTED_INPUTS: Readonly<Record<string, string>> = {
  plugins: 'Claude Code plugins are installed by claude-code-action',
  plugin_marketplaces: 'Claude Code plugins are installed by claude-code-action',
  anthropic_federation_rule_id: 'workload identity federation is done by claude-code-action',
  anthropic_organization_id: 'workload identity federation is done by claude-code-action',
  anthropic_service_account_id: 'workload identity federation is done by claude-code-action',
  anthropic_workspace_id: 'workload identity federation is done by claude-code-action',
  anthropic_oidc_audience: 'workload identity federation is done by claude-code-action',
};

/** Inputs that only shape claude-code-action's own log or install: ignored with a warning. */
const IGNORED_INPUTS: Readonly<Record<string, string>> = {
  path_to_bun_executable: 'durable-agent runs on the runner\'s Node, not Bun',
  show_full_output: 'the agent\'s tool calls are always in the log, its full output in execution_log',
  display_report: 'the job summary is always written',
};

export interface ForeignInputs {
  /** One line per input that must not be given to durable-agent's main action. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

function given(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[`INPUT_${name.toUpperCase()}`];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Pure: what the step's INPUT_* variables say about claude-code-action-only inputs. */
export function foreignInputs(env: Readonly<Record<string, string | undefined>>): ForeignInputs {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const [name, fallback] of Object.entries(TAG_MODE_INPUTS)) {
    const value = given(env, name);
    if (value !== undefined && value !== fallback) errors.push(`${name}: '${value}' is a tag-mode input of claude-code-action; durable-agent does not copy tag mode: ${GUARD_HINT}`);
  }
  for (const [name, why] of Object.entries(UNSUPPORTED_INPUTS)) {
    if (given(env, name) !== undefined) errors.push(`${name}: not supported (${why}): ${GUARD_HINT}`);
  }
  for (const [name, why] of Object.entries(IGNORED_INPUTS)) {
    if (given(env, name) !== undefined) warnings.push(`${name}: ignored (${why})`);
  }
  return { errors, warnings };
}
