import { describe, expect, it } from 'vitest';
import { agentResponseHeaders, pathForLog, upstreamPath, upstreamRequestHeaders } from '../../src/proxy/headers.js';
import { StatsRecorder } from '../../src/proxy/stats.js';

describe('upstreamRequestHeaders', () => {
  it('names the upstream host, drops hop-by-hop headers and keeps the rest', () => {
    const headers = upstreamRequestHeaders(
      {
        host: '127.0.0.1:4000',
        connection: 'keep-alive, x-private-hop',
        'keep-alive': 'timeout=5',
        'x-private-hop': '1',
        'transfer-encoding': 'chunked',
        expect: '100-continue',
        'proxy-authorization': 'Basic abc',
        'x-api-key': 'test-key',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      'api.anthropic.com',
      12,
    );
    expect(headers).toEqual({
      host: 'api.anthropic.com',
      'x-api-key': 'test-key',
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
      'content-length': '12',
    });
  });

  it('sends a content-length only when the agent sent a body', () => {
    expect(upstreamRequestHeaders({ host: 'x' }, 'up:1', 0)).toEqual({ host: 'up:1' });
    expect(upstreamRequestHeaders({ host: 'x', 'content-length': '0' }, 'up:1', 0)).toEqual({ host: 'up:1', 'content-length': '0' });
  });
});

describe('agentResponseHeaders', () => {
  it('drops what described the upstream connection', () => {
    expect(
      agentResponseHeaders({ 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked', connection: 'close', 'request-id': 'req_1', 'set-cookie': ['a=1', 'b=2'] }),
    ).toEqual({ 'content-type': 'text/event-stream', 'request-id': 'req_1', 'set-cookie': ['a=1', 'b=2'] });
  });
});

describe('connection-listed headers', () => {
  it('drops every header the connection header names, in any case, both ways', () => {
    const listed = { connection: 'Keep-Alive, X-Hop-One,x-hop-two', 'x-hop-one': '1', 'x-hop-two': '2', 'x-kept': '3' };
    expect(agentResponseHeaders(listed)).toEqual({ 'x-kept': '3' });
    expect(upstreamRequestHeaders(listed, 'up:1', 0)).toEqual({ host: 'up:1', 'x-kept': '3' });
    expect(agentResponseHeaders({ connection: 'close', close: 'x', 'x-kept': '3' })).toEqual({ 'x-kept': '3' });
  });
});

describe('paths', () => {
  it('joins the upstream prefix and the agent path with its query', () => {
    expect(upstreamPath('/', '/v1/messages?beta=true')).toBe('/v1/messages?beta=true');
    expect(upstreamPath('/gateway/anthropic/', '/v1/messages')).toBe('/gateway/anthropic/v1/messages');
    expect(upstreamPath('/api', '/')).toBe('/api/');
  });

  it('logs the path without its query', () => {
    expect(pathForLog('/v1/messages?beta=true&key=secret')).toBe('/v1/messages');
    expect(pathForLog('?x')).toBe('/');
  });
});

describe('StatsRecorder', () => {
  it('keeps totals and hands out per-attempt windows', () => {
    const stats = new StatsRecorder();
    stats.request();
    stats.failure('500');
    stats.retry(true);
    stats.waited(40);
    stats.retryAfterHint(200);
    stats.recovered();
    const first = stats.take();
    expect(first).toEqual({
      requests: 1,
      retriedRequests: 1,
      retries: 1,
      recovered: 1,
      failuresByStatus: { '500': 1 },
      passedOnFailures: 0,
      waitMs: 40,
      lastRetryAfterMs: 200,
      holds: [],
    });
    stats.request();
    stats.failure('500');
    stats.failure('network');
    stats.retry(true);
    stats.retry(false);
    stats.passedOn();
    expect(stats.take()).toMatchObject({ requests: 1, retriedRequests: 1, retries: 2, failuresByStatus: { '500': 1, network: 1 }, passedOnFailures: 1, lastRetryAfterMs: undefined });
    expect(stats.take()).toMatchObject({ requests: 0, failuresByStatus: {} });
    const total = stats.total();
    expect(total).toMatchObject({ requests: 2, retriedRequests: 2, retries: 3, recovered: 1, failuresByStatus: { '500': 2, network: 1 }, passedOnFailures: 1, waitMs: 40, lastRetryAfterMs: 200 });
    // A snapshot, not a live view.
    total.failuresByStatus['500'] = 99;
    expect(stats.total().failuresByStatus['500']).toBe(2);
  });
});
