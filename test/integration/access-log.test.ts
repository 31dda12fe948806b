import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/index.js';
import { startProxy } from '../helpers/proxy.js';
import { startUpstream } from '../helpers/upstream.js';
import { plainRequest } from '../helpers/plain-request.js';
import { waitFor } from '../helpers/wait.js';

type AccessLine = Record<string, unknown> & { trace_id: string; span_id: string };

function tempLogPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'hoptrace-access-')), 'access.log');
}

function parseLines(text: string): AccessLine[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AccessLine);
}

/** `00-<trace id>-<span id>-<flags>` → the ids and the sampled bit of the flags. */
function traceResponse(header: string | string[] | undefined): { traceId: string; spanId: string; sampled: boolean } {
  const [, traceId, spanId, flags] = String(header).split('-');
  return { traceId: traceId!, spanId: spanId!, sampled: (Number.parseInt(flags!, 16) & 1) === 1 };
}

describe('access log', () => {
  it('writes a line per request whose trace_id and span_id are those of the exported SERVER span', async () => {
    const upstream = await startUpstream();
    const path = tempLogPath();
    const proxy = await startProxy({
      accessLog: { destination: path },
      routes: [{ name: 'orders', service: 'orders-svc', match: { pathPrefix: '/api/orders' }, upstream: upstream.url }],
    });
    const incomingTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const plain = await plainRequest(`${proxy.url}/api/orders/7?token=s3cret&page=2`);
    const continued = await plainRequest(`${proxy.url}/api/orders`, {
      method: 'POST',
      headers: { traceparent: `00-${incomingTrace}-00f067aa0ba902b7-01`, 'content-type': 'text/plain' },
      body: 'twelve bytes',
    });
    const unmatched = await plainRequest(`${proxy.url}/elsewhere?x=1`);
    expect([plain.status, continued.status, unmatched.status]).toEqual([200, 200, 404]);
    const spans = await proxy.spans();
    await waitFor(() => proxy.app.openSockets() === 0, 2_000, 'the proxy sockets to close');
    await proxy.app.close(); // flushes and closes the log file

    const lines = parseLines(readFileSync(path, 'utf8'));
    expect(lines).toHaveLength(3);
    const serverSpans = spans.filter((span) => span.kind === SpanKind.SERVER);
    expect(serverSpans).toHaveLength(3);
    for (const line of lines) {
      const span = serverSpans.find((candidate) => candidate.spanContext().spanId === line.span_id);
      expect(span?.spanContext().traceId).toBe(line.trace_id);
    }

    const [first, second, third] = lines;
    expect(traceResponse(plain.headers.traceresponse)).toEqual({ traceId: first!.trace_id, spanId: first!.span_id, sampled: true });
    expect(first).toMatchObject({
      route: 'orders',
      service: 'orders-svc',
      method: 'GET',
      path: '/api/orders/7',
      status: 200,
      bytes_in: 0,
      upstream: upstream.url,
      error: null,
      sampled: true,
    });
    expect(Number(first!.bytes_out)).toBeGreaterThan(0);
    expect(Number(first!.duration_ms)).toBeGreaterThan(0);
    expect(Number(first!.upstream_duration_ms)).toBeGreaterThan(0);
    expect(second).toMatchObject({ trace_id: incomingTrace, method: 'POST', path: '/api/orders', status: 200, bytes_in: 12 });
    expect(third).toMatchObject({ route: null, path: '/elsewhere', status: 404, upstream: null, error: 'route_not_found' });
    expect(readFileSync(path, 'utf8')).not.toContain('s3cret');
  });

  it('logs unsampled requests too, with the trace id the client was given', async () => {
    const upstream = await startUpstream();
    const path = tempLogPath();
    const proxy = await startProxy({
      accessLog: { destination: path },
      tracing: { sampleRate: 0 },
      routes: [{ name: 'all', upstream: upstream.url }],
    });
    const res = await plainRequest(`${proxy.url}/x`);
    await proxy.app.close();

    const [line] = parseLines(readFileSync(path, 'utf8'));
    expect(traceResponse(res.headers.traceresponse)).toEqual({ traceId: line!.trace_id, spanId: line!.span_id, sampled: false });
    expect(line!.sampled).toBe(false);
    expect(proxy.memory.getFinishedSpans()).toHaveLength(0);
  });

  it('moves to a new destination on reload, finishing the old file', async () => {
    const upstream = await startUpstream();
    const before = tempLogPath();
    const after = tempLogPath();
    const base = { listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'all', upstream: upstream.url }] };
    const proxy = await startProxy({ ...base, accessLog: { destination: before } });
    await plainRequest(`${proxy.url}/one`);
    await proxy.app.reload(buildConfig({ ...base, accessLog: { destination: after } }));
    await plainRequest(`${proxy.url}/two`);
    await proxy.app.close();

    expect(parseLines(readFileSync(before, 'utf8')).map((line) => line.path)).toEqual(['/one']);
    expect(parseLines(readFileSync(after, 'utf8')).map((line) => line.path)).toEqual(['/two']);
  });
});
