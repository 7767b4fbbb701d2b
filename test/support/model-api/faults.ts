export type FaultKind =
  | 'http500'
  | 'http529'
  | 'http429'
  | 'http401'
  | 'http400'
  | 'reset-before-response'
  | 'reset-mid-stream'
  | 'stall'
  | 'sse-error';

export interface Fault {
  kind: FaultKind;
  at: { request: number } | { step: number };
  count: number;
  /** Sent as `retry-after` with any HTTP fault; a 429 without it still gets `retry-after: 1`. */
  retryAfterSeconds?: number;
}

/** The HTTP errors the real API answers with, keyed by fault kind. */
export const HTTP_ERRORS = {
  http500: { status: 500, type: 'api_error', message: 'Internal server error' },
  http529: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
  http429: { status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' },
  http401: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
  http400: { status: 400, type: 'invalid_request_error', message: 'Invalid request: injected fault' },
} as const satisfies Record<string, { status: number; type: string; message: string }>;

export type HttpFaultKind = keyof typeof HTTP_ERRORS;

export function isHttpFault(kind: FaultKind): kind is HttpFaultKind {
  return Object.hasOwn(HTTP_ERRORS, kind);
}

/** Decides which conversation requests fail; one instance per setFaults call. */
export class FaultSchedule {
  readonly #faults: readonly Fault[];
  readonly #usedByStep = new Map<Fault, number>();
  #conversationRequests = 0;

  constructor(faults: readonly Fault[]) {
    for (const fault of faults) validate(fault);
    this.#faults = [...faults];
  }

  /** Call once per conversation request, in arrival order; returns the fault to serve, if any. */
  next(step: number): Fault | undefined {
    this.#conversationRequests += 1;
    const request = this.#conversationRequests;
    for (const fault of this.#faults) {
      if ('request' in fault.at) {
        if (request >= fault.at.request && request < fault.at.request + fault.count) return fault;
      } else if (fault.at.step === step) {
        const used = this.#usedByStep.get(fault) ?? 0;
        if (used < fault.count) {
          this.#usedByStep.set(fault, used + 1);
          return fault;
        }
      }
    }
    return undefined;
  }
}

function validate(fault: Fault): void {
  const at = 'request' in fault.at ? fault.at.request : fault.at.step;
  if (!Number.isInteger(at) || at < 1) throw new RangeError(`fault position must be a positive integer, got ${at}`);
  if (!Number.isInteger(fault.count) || fault.count < 1) throw new RangeError(`fault count must be a positive integer, got ${fault.count}`);
  if (fault.retryAfterSeconds !== undefined && !(fault.retryAfterSeconds >= 0)) {
    throw new RangeError(`retryAfterSeconds must be >= 0, got ${fault.retryAfterSeconds}`);
  }
}
