// The proxy's side of turn-boundary checkpoints: which requests are the agent's turns, which tool
// results they carry, and one hook that holds such a request while a checkpoint is taken.
import { z } from 'zod';

/** What the proxy gives the gate: the body it already buffered and the agent's request path. */
export interface GateRequest {
  readonly body: Buffer;
  readonly path: string;
}

/** A model request of the agent's conversation, as the checkpoint side sees it. */
export interface TurnRequest {
  /** tool_use ids of the tool results the request carries (its trailing user message). */
  readonly toolUseIds: readonly string[];
}

export interface TurnGate {
  /** ApiProxyOptions.beforeForward: resolves when the request may go upstream. Never rejects. */
  beforeForward(request: GateRequest): Promise<void>;
}

/** `/v1/messages`, with or without a query (Claude Code adds `?beta=true`), not `/v1/messages/count_tokens`. */
export function isMessagesPath(requestPath: string): boolean {
  const pathname = requestPath.split('?')[0] ?? '';
  return pathname === '/v1/messages' || pathname.endsWith('/v1/messages');
}

const toolResult = z.object({ type: z.literal('tool_result'), tool_use_id: z.string() }).loose();
const message = z.object({ role: z.string(), content: z.union([z.string(), z.array(z.unknown())]) }).loose();
const messagesBody = z.object({ messages: z.array(z.unknown()), tools: z.array(z.unknown()).optional() }).loose();

/**
 * The request as a turn of the agent's conversation, or undefined for anything else. A turn offers
 * tools: side requests (titles, summaries) offer none, and may run while the agent acts, so holding
 * them would not stop the agent.
 */
export function turnRequestOf(body: Buffer): TurnRequest | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = messagesBody.safeParse(json);
  if (!parsed.success || (parsed.data.tools ?? []).length === 0) return undefined;
  const last = message.safeParse(parsed.data.messages.at(-1));
  if (!last.success || last.data.role !== 'user' || typeof last.data.content === 'string') return { toolUseIds: [] };
  const toolUseIds = last.data.content.flatMap((block) => {
    const result = toolResult.safeParse(block);
    return result.success ? [result.data.tool_use_id] : [];
  });
  return { toolUseIds };
}

/**
 * The hook for ApiProxyOptions.beforeForward. `wants` is asked first (cheap, no parsing) whether a
 * checkpoint is due; only then is the body parsed and `atBoundary` awaited. Requests that arrive
 * while a boundary is being held wait for it too: a parallel request must not let the agent act
 * mid-checkpoint. A failure inside never stops the request.
 */
export function createTurnGate(handlers: { wants: () => boolean; atBoundary: (request: TurnRequest) => Promise<void> }): TurnGate {
  let holding: Promise<void> | undefined;
  return {
    async beforeForward(request: GateRequest): Promise<void> {
      if (!isMessagesPath(request.path)) return;
      if (holding !== undefined) {
        await holding;
        return;
      }
      if (!handlers.wants()) return;
      const turn = turnRequestOf(request.body);
      if (turn === undefined) return;
      const hold = handlers.atBoundary(turn).catch(() => undefined);
      holding = hold;
      try {
        await hold;
      } finally {
        holding = undefined;
      }
    },
  };
}
