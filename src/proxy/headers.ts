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

// What else the request towards the upstream leaves out: the proxy sets `host` and `content-length` itself.
const REQUEST_ALSO_DROPS: ReadonlySet<string> = new Set(['host', 'content-length', 'expect']);
const NOTHING_ELSE: ReadonlySet<string> = new Set();

// Runs twice per request on the path every answer waits for: no sets or arrays built for the
// common case of a `connection` header that lists no other header.
function withoutHopByHop(headers: IncomingHttpHeaders, alsoDrop: ReadonlySet<string>): OutgoingHttpHeaders {
  const listed = connectionListed(headers.connection);
  const result: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || alsoDrop.has(name) || listed?.includes(name)) continue;
    result[name] = value;
  }
  return result;
}

/** The header names `connection` lists, lower-case; undefined for none but `keep-alive` (dropped anyway). */
function connectionListed(connection: string | undefined): string[] | undefined {
  if (connection === undefined) return undefined;
  const lower = connection.toLowerCase();
  if (lower === 'keep-alive') return undefined;
  return lower
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/**
 * What goes upstream: the agent's headers with `host` naming the upstream and a
 * content-length matching the buffered body (the agent may have sent it chunked).
 */
export function upstreamRequestHeaders(agentHeaders: IncomingHttpHeaders, upstreamHost: string, bodyLength: number): OutgoingHttpHeaders {
  const hadBody = agentHeaders['content-length'] !== undefined || agentHeaders['transfer-encoding'] !== undefined;
  const headers = withoutHopByHop(agentHeaders, REQUEST_ALSO_DROPS);
  headers.host = upstreamHost;
  if (hadBody || bodyLength > 0) headers['content-length'] = String(bodyLength);
  return headers;
}

/** What goes back to the agent: the upstream's headers minus those that describe the upstream connection. */
export function agentResponseHeaders(upstreamHeaders: IncomingHttpHeaders): OutgoingHttpHeaders {
  return withoutHopByHop(upstreamHeaders, NOTHING_ELSE);
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
