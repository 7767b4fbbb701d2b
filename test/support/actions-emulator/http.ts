/** Small HTTP helpers shared by the emulator's services. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Twirp error codes and the HTTP status Twirp maps each to. */
export const TWIRP_CODES = {
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  invalid_argument: 400,
  resource_exhausted: 429,
  internal: 500,
  unimplemented: 501,
  unavailable: 503,
} as const;

export type TwirpCode = keyof typeof TWIRP_CODES;

/** Thrown by a twirp handler; the router turns it into Twirp's JSON error body. */
export class TwirpError extends Error {
  readonly code: TwirpCode;
  readonly status: number;

  constructor(code: TwirpCode, message: string, status: number = TWIRP_CODES[code]) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** The twirp code a raw HTTP status stands for, for injected 5xx faults. */
export function twirpCodeFor(status: number): TwirpCode {
  if (status === 501) return 'unimplemented';
  if (status === 503) return 'unavailable';
  return 'internal';
}

export function sendTwirpError(res: ServerResponse, error: TwirpError): void {
  // The clients JSON.parse every response body, errors included, and read `msg` from it.
  sendJson(res, error.status, { code: error.code, msg: error.message });
}

/** A REST handler's answer: JSON when `body` is set, else an empty response (204, or 302 with a location). */
export interface RestAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown by a REST handler; the router answers with GitHub's `{message}` body. */
export class RestError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function sendRestError(res: ServerResponse, error: RestError): void {
  sendJson(res, error.status, { message: error.message, documentation_url: 'https://docs.github.com/rest', status: String(error.status) });
}

/** Bearer or `token` credentials from the Authorization header, as Octokit and the toolkit send them. */
export function credentials(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}
