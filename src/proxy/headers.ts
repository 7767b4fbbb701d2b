/** Header rewriting between the agent and the upstream API; pure. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// RFC 9110 §7.6.1 connection-specific fields, plus `expect`: the body is already buffered, so a
// 100-continue handshake with the upstream would only add a round trip.
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function withoutHopByHop(headers: IncomingHttpHeaders, alsoDrop: readonly string[]): OutgoingHttpHeaders {
  const listed = (headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const drop = new Set([...HOP_BY_HOP, ...listed, ...alsoDrop]);
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || drop.has(name)) continue;
    result[name] = value;
  }
  return result;
}

/**
 * What goes upstream: the agent's headers with `host` naming the upstream and a
 * content-length matching the buffered body (the agent may have sent it chunked).
 */
export function upstreamRequestHeaders(agentHeaders: IncomingHttpHeaders, upstreamHost: string, bodyLength: number): OutgoingHttpHeaders {
  const hadBody = agentHeaders['content-length'] !== undefined || agentHeaders['transfer-encoding'] !== undefined;
  const headers = withoutHopByHop(agentHeaders, ['host', 'content-length', 'expect']);
  headers.host = upstreamHost;
  if (hadBody || bodyLength > 0) headers['content-length'] = String(bodyLength);
  return headers;
}

/** What goes back to the agent: the upstream's headers minus those that describe the upstream connection. */
export function agentResponseHeaders(upstreamHeaders: IncomingHttpHeaders): OutgoingHttpHeaders {
  return withoutHopByHop(upstreamHeaders, []);
}

/** The path for log lines: the query string can carry anything, so it is left out. */
export function pathForLog(url: string): string {
  const path = url.split('?')[0] ?? '/';
  return path === '' ? '/' : path;
}

/** The upstream's path prefix (e.g. `/api` of `https://gateway/api`) joined to the agent's path and query. */
export function upstreamPath(upstreamPathname: string, agentUrl: string): string {
  const prefix = upstreamPathname.replace(/\/+$/, '');
  const path = agentUrl.startsWith('/') ? agentUrl : `/${agentUrl}`;
  return `${prefix}${path}`;
}
