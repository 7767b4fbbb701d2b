// Whether the job failed because the model API failed in a way a re-run can fix: the guard's post
// step then writes the watchdog's `[durable-agent:transient:REASON]` marker. The guard never sees
// the agent's exit; its evidence is the agent's own final result (claude-code-action's execution
// file) and the failures the proxy had to hand back to the agent after its retries.

export interface AgentResultEvidence {
  readonly isError: boolean;
  readonly apiErrorStatus: number | null | undefined;
  readonly terminalReason: string | undefined;
}

export interface ProxyEvidence {
  readonly passedOnFailures: number;
  readonly failuresByStatus: Readonly<Record<string, number>>;
}

export interface GuardVerdict {
  readonly kind: 'transient' | 'fatal';
  readonly reason: string;
}

function reasonOfStatus(status: string): GuardVerdict | undefined {
  if (status === '529') return { kind: 'transient', reason: 'overloaded' };
  if (status === '429') return { kind: 'transient', reason: 'rate_limited' };
  if (/^5\d\d$/.test(status)) return { kind: 'transient', reason: 'server_error' };
  if (status === 'network' || status === 'timeout') return { kind: 'transient', reason: 'network' };
  if (status === '401' || status === '403') return { kind: 'fatal', reason: 'auth' };
  if (status === '400') return { kind: 'fatal', reason: 'bad_request' };
  return undefined;
}

/** Pure. Undefined when the job did not fail or nothing says why. */
export function guardVerdict(input: { jobStatus: string; agentResult?: AgentResultEvidence | undefined; proxy?: ProxyEvidence | undefined }): GuardVerdict | undefined {
  if (input.jobStatus !== 'failure') return undefined;
  const result = input.agentResult;
  if (result?.isError) {
    if (result.apiErrorStatus !== null && result.apiErrorStatus !== undefined) return reasonOfStatus(String(result.apiErrorStatus));
    if (result.terminalReason === 'api_error') return { kind: 'transient', reason: 'network' };
  }
  const proxy = input.proxy;
  if (proxy && proxy.passedOnFailures > 0) {
    const [worst] = Object.entries(proxy.failuresByStatus).sort((a, b) => b[1] - a[1]);
    if (worst) return reasonOfStatus(worst[0]);
  }
  return undefined;
}
