/**
 * Upstream faults (SPEC §3, §5): each one gives the client a clear status or a cut connection, leaves both
 * spans marked with `error.type`, and leaves no socket behind.
 */
import http from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '../../src/tracing/attributes.js';
import { expectNoSocketsLeft, hopSpans, refusedUrl, send, startRecordingUpstream, type HopSpans } from '../helpers/faults.js';
import { startProxy } from '../helpers/proxy.js';

function expectBothFailed(spans: HopSpans, errorType: string): void {
  const { server, clients } = spans;
  for (const span of [server, ...clients]) {
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe(errorType);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  }
  expect(clients[0]!.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
}

/** A GET whose response headers arrive and whose body then breaks off; resolves with what arrived. */
function getUntilCut(url: string): Promise<{ status: number; body: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cut: !res.complete }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, cut: true }));
    });
    req.on('error', reject);
  });
}

describe('upstream faults', () => {
  it('answers 502 connection_refused when the upstream refuses the connection', async () => {
    const proxy = await startProxy({ routes: [{ name: 'down', upstream: await refusedUrl() }] });

    const reply = await send(proxy.url, { path: '/orders' });

    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toEqual({ error: 'connection_refused', message: 'the upstream refused the connection' });
    const spans = await hopSpans(proxy, 1);
    expectBothFailed(spans, 'connection_refused');
    expect(spans.server.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(502);
    await expectNoSocketsLeft(proxy.app);
  });

  it('answers 502 dns_failure when the upstream host name does not resolve', async () => {
    // .invalid is reserved (RFC 2606): resolution fails locally, no network needed.
    const proxy = await startProxy({ routes: [{ name: 'nowhere', upstream: 'http://upstream.invalid:8080' }] });

    const reply = await send(proxy.url);

    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body).error).toBe('dns_failure');
    expectBothFailed(await hopSpans(proxy, 1), 'dns_failure');
    await expectNoSocketsLeft(proxy.app);
  });

  it('answers 504 timeout when the upstream does not answer within timeoutMs, and aborts the upstream request', async () => {
    const upstream = await startRecordingUpstream(() => {}); // never answers
    const proxy = await startProxy({ routes: [{ name: 'silent', upstream: upstream.url, timeoutMs: 150 }] });

    const reply = await send(proxy.url, { path: '/slow' });

    expect(reply.status).toBe(504);
    expect(JSON.parse(reply.body).error).toBe('timeout');
    expect(await upstream.outcome(0)).toBe('aborted');
    expectBothFailed(await hopSpans(proxy, 1), 'timeout');
    await expectNoSocketsLeft(proxy.app);
  });

  it('cuts the client connection when the upstream resets in the middle of its answer', async () => {
    const upstream = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('partial', () => res.socket?.destroy());
    });
    const proxy = await startProxy({ routes: [{ name: 'flaky', upstream: upstream.url }] });

    const result = await getUntilCut(`${proxy.url}/report`);

    expect(result).toMatchObject({ status: 200, cut: true });
    expectBothFailed(await hopSpans(proxy, 1), 'connection_reset');
    await expectNoSocketsLeft(proxy.app);
  });

  it('cuts an answer whose body stops for timeoutMs, and frees the upstream connection', async () => {
    const upstream = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk'); // then nothing, connection held open
    });
    const proxy = await startProxy({ routes: [{ name: 'trickle', upstream: upstream.url, timeoutMs: 200 }] });

    const result = await getUntilCut(`${proxy.url}/stream`);

    expect(result).toEqual({ status: 200, body: 'first chunk', cut: true });
    expect(await upstream.outcome(0)).toBe('aborted');
    const spans = await hopSpans(proxy, 1);
    expectBothFailed(spans, 'response_stalled');
    expect(spans.clients[0]!.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(200);
    await expectNoSocketsLeft(proxy.app);
  });

  it('lets a slow body through for as long as it keeps coming, however long it takes in all', async () => {
    const chunks = 60;
    const upstream = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const timer = setInterval(() => {
        sent += 1;
        if (sent < chunks) res.write('.');
        else {
          clearInterval(timer);
          res.end('.');
        }
      }, 20);
    });
    // 60 chunks 20 ms apart take longer than timeoutMs in all; no gap comes near it, even on a loaded machine.
    const proxy = await startProxy({ routes: [{ name: 'steady', upstream: upstream.url, timeoutMs: 1_000 }] });

    const reply = await send(proxy.url);

    expect(reply).toMatchObject({ status: 200, body: '.'.repeat(chunks) });
    const { server } = await hopSpans(proxy, 1);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    await expectNoSocketsLeft(proxy.app);
  });

  it('does not cut a client that reads slowly while the upstream has sent everything', async () => {
    const size = 4 * 1024 * 1024; // more than the socket buffers hold, so the pipe waits on the client
    const upstream = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
      res.end(Buffer.alloc(size, 0x61));
    });
    // timeoutMs leaves room for a loaded machine to send the headers; the client then waits well past it.
    const proxy = await startProxy({ routes: [{ name: 'big', upstream: upstream.url, timeoutMs: 600 }] });

    const received = await new Promise<number>((resolve, reject) => {
      http.get(proxy.url, { agent: false }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        let total = 0;
        res.on('aborted', () => reject(new Error('the proxy cut the response')));
        res.on('error', reject);
        res.pause();
        // Read nothing for several timeoutMs, then everything.
        setTimeout(() => {
          res.on('data', (chunk: Buffer) => (total += chunk.length));
          res.on('end', () => resolve(total));
          res.resume();
        }, 2_000);
      }).on('error', reject);
    });

    expect(received).toBe(size);
    const { server } = await hopSpans(proxy, 1);
    expect(server.attributes[ATTR_ERROR_TYPE]).toBeUndefined();
    await expectNoSocketsLeft(proxy.app);
  });

  it('holds no socket and keeps answering after a run of mixed failures', async () => {
    const silent = await startRecordingUpstream(() => {});
    const resetting = await startRecordingUpstream((req) => req.socket.destroy());
    const healthy = await startRecordingUpstream((_req, res) => res.end('ok'));
    // Every route has a deadline well under the test's, so a request that hangs shows up as a wrong status.
    const proxy = await startProxy({
      routes: [
        { name: 'refused', match: { pathPrefix: '/refused' }, upstream: await refusedUrl(), timeoutMs: 3_000 },
        { name: 'silent', match: { pathPrefix: '/silent' }, upstream: silent.url, timeoutMs: 50 },
        { name: 'reset', match: { pathPrefix: '/reset' }, upstream: resetting.url, timeoutMs: 3_000 },
        { name: 'dns', match: { pathPrefix: '/dns' }, upstream: 'http://upstream.invalid', timeoutMs: 3_000 },
        { name: 'healthy', upstream: healthy.url, timeoutMs: 3_000 },
      ],
    });

    const paths = ['/refused', '/silent', '/reset', '/dns', '/ok'];
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => send(proxy.url, { path: paths[i % paths.length] })));

    expect(replies.map((reply, i) => `${paths[i % paths.length]} ${reply.status}`)).toEqual(
      Array.from({ length: 50 }, (_, i) => `${paths[i % paths.length]} ${[502, 504, 502, 502, 200][i % 5]}`),
    );
    await expectNoSocketsLeft(proxy.app);
    expect((await send(proxy.url, { path: '/ok' })).status).toBe(200);
  });
});
