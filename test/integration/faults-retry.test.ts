/**
 * Retries (opt-in per route) and passive outlier ejection. A retry is a new CLIENT span under the same
 * SERVER span, with `http.request.resend_count`; only idempotent requests without a body are retried, and
 * the client only ever sees the answer of the last attempt.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_PORT,
} from '../../src/tracing/attributes.js';
import { expectNoSocketsLeft, hopSpans, refusedUrl, send, startRecordingUpstream, traceIdOf } from '../helpers/faults.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const ok = () => startRecordingUpstream((_req, res) => res.end('ok'));
const portOf = (url: string): number => Number(new URL(url).port);

describe('retries', () => {
  it('retries a GET on the next target after a refused connection, one CLIENT span per attempt', async () => {
    const refused = await refusedUrl();
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [refused, healthy.url] }, retry: { attempts: 2, on: ['connect-failure'] } }],
    });

    const reply = await send(proxy.url, { path: '/items' });

    expect(reply).toMatchObject({ status: 200, body: 'ok' });
    const { server, clients } = await hopSpans(proxy, 2);
    const [first, second] = clients;
    for (const client of clients) expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(first!.attributes[ATTR_ERROR_TYPE]).toBe('connection_refused');
    expect(first!.attributes[ATTR_SERVER_PORT]).toBe(portOf(refused));
    expect(first!.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT]).toBeUndefined();
    expect(second!.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT]).toBe(1);
    expect(second!.attributes[ATTR_SERVER_PORT]).toBe(portOf(healthy.url));
    expect(second!.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(200);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(healthy.requests).toHaveLength(1);
    await expectNoSocketsLeft(proxy.app);
  });

  it('sends the retried request exactly as the first, without doubling X-Forwarded-For', async () => {
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [await refusedUrl(), healthy.url] }, retry: {} }],
    });

    await send(proxy.url, { path: '/x', headers: { 'x-forwarded-for': '203.0.113.7' } });

    expect(healthy.requests[0]!.headers['x-forwarded-for']).toBe('203.0.113.7,127.0.0.1');
  });

  it.each([
    ['POST without a body', { method: 'POST' }],
    ['PATCH', { method: 'PATCH' }],
    ['PUT with a body', { method: 'PUT', body: '{"n":1}', headers: { 'content-type': 'application/json' } }],
    ['GET with a chunked body', { method: 'GET', body: 'x', headers: { 'transfer-encoding': 'chunked' } }],
    ['DELETE with a body', { method: 'DELETE', body: 'x', headers: { 'content-length': '1' } }],
  ])('does not retry a %s', async (_name, request) => {
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [await refusedUrl(), healthy.url] }, retry: { attempts: 3 } }],
    });

    const reply = await send(proxy.url, { path: '/items', ...request });

    expect(reply.status).toBe(502);
    const { clients } = await hopSpans(proxy, 1);
    expect(clients[0]!.attributes[ATTR_ERROR_TYPE]).toBe('connection_refused');
    expect(healthy.requests).toHaveLength(0);
    await expectNoSocketsLeft(proxy.app);
  });

  it.each([
    ['PUT', { 'content-length': '0' }],
    ['DELETE', {}],
    ['HEAD', {}],
    ['OPTIONS', {}],
  ])('retries a %s without a body', async (method, headers: Record<string, string>) => {
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [await refusedUrl(), healthy.url] }, retry: {} }],
    });

    const reply = await send(proxy.url, { method, headers });

    expect(reply.status).toBe(200);
    expect(healthy.requests.map((request) => request.method)).toEqual([method]);
    await hopSpans(proxy, 2);
  });

  it('does not retry a failure the route does not list', async () => {
    const silent = await startRecordingUpstream(() => {});
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [silent.url, healthy.url] }, timeoutMs: 100, retry: { on: ['connect-failure'] } }],
    });

    expect((await send(proxy.url)).status).toBe(504);
    expect(healthy.requests).toHaveLength(0);
  });

  it('retries a timeout when listed, and aborts the attempt that timed out', async () => {
    const silent = await startRecordingUpstream(() => {});
    const healthy = await ok();
    const proxy = await startProxy({
      // Long enough that the second attempt, on a healthy target, never runs into it on a loaded machine.
      routes: [{ name: 'api', upstream: { targets: [silent.url, healthy.url] }, timeoutMs: 500, retry: { on: ['timeout'] } }],
    });

    const reply = await send(proxy.url);

    expect(reply).toMatchObject({ status: 200, body: 'ok' });
    expect(await silent.outcome(0)).toBe('aborted');
    const { clients } = await hopSpans(proxy, 2);
    expect(clients.map((span) => span.attributes[ATTR_ERROR_TYPE])).toEqual(['timeout', undefined]);
    await expectNoSocketsLeft(proxy.app);
  });

  it('retries a listed status, and the client never sees the answer it replaced', async () => {
    const unavailable = await startRecordingUpstream((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain', 'x-from': 'unavailable' });
      res.end('busy');
    });
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [unavailable.url, healthy.url] }, retry: { on: ['503'] } }],
    });

    const reply = await send(proxy.url);

    expect(reply).toMatchObject({ status: 200, body: 'ok' });
    expect(reply.headers['x-from']).toBeUndefined();
    const { server, clients } = await hopSpans(proxy, 2);
    expect(clients[0]!.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(503);
    expect(clients[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(clients[1]!.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(200);
    expect(server.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(200);
    // The dropped answer was drained: its connection went back to the pool, not left busy.
    await expectNoSocketsLeft(proxy.app);
  });

  it('answers with the last failure when every attempt fails', async () => {
    const first = await refusedUrl();
    const second = await refusedUrl();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [first, second] }, retry: { attempts: 3 } }],
    });

    const reply = await send(proxy.url);

    expect(reply.status).toBe(502);
    const { server, clients } = await hopSpans(proxy, 3);
    expect(clients.map((span) => span.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT])).toEqual([undefined, 1, 2]);
    expect(clients.map((span) => span.attributes[ATTR_SERVER_PORT])).toEqual([portOf(first), portOf(second), portOf(first)]);
    expect(server.attributes[ATTR_ERROR_TYPE]).toBe('connection_refused');
  });

  it('does not retry once the client has part of the answer', async () => {
    const resetting = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '50' });
      res.write('partial', () => res.socket?.destroy());
    });
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [resetting.url, healthy.url] }, retry: { on: ['reset'] } }],
    });

    await expect(send(proxy.url)).rejects.toThrow();

    const { clients } = await hopSpans(proxy, 1);
    expect(clients[0]!.attributes[ATTR_ERROR_TYPE]).toBe('connection_reset');
    expect(healthy.requests).toHaveLength(0);
  });

  it('retries a connection the upstream reset before answering', async () => {
    const resetting = await startRecordingUpstream((req) => req.socket.destroy());
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [{ name: 'api', upstream: { targets: [resetting.url, healthy.url] }, retry: { on: ['reset'] } }],
    });

    const reply = await send(proxy.url);

    expect(reply.status).toBe(200);
    const { clients } = await hopSpans(proxy, 2, traceIdOf(reply.headers));
    expect(clients[0]!.attributes[ATTR_ERROR_TYPE]).toBe('connection_reset');
  });
});

describe('outlier ejection', () => {
  it('takes a failing target out, answers 503 no_healthy_upstream when none is left', async () => {
    const proxy = await startProxy({
      routes: [
        {
          name: 'api',
          upstream: { targets: [await refusedUrl(), await refusedUrl()] },
          outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 60_000 },
        },
      ],
    });

    expect((await send(proxy.url)).status).toBe(502); // first target fails: out
    expect((await send(proxy.url)).status).toBe(502); // second target fails: out
    const reply = await send(proxy.url);

    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toEqual({ error: 'no_healthy_upstream', message: 'no healthy upstream is available for this route' });
    const { server } = await hopSpans(proxy, 0, traceIdOf(reply.headers));
    expect(server.attributes[ATTR_ERROR_TYPE]).toBe('no_healthy_upstream');
    expect(server.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(503);
  });

  it('sends nothing to an ejected target, and puts it back once it has served its time', async () => {
    let failing = true;
    const flaky = await startRecordingUpstream((_req, res) => {
      res.writeHead(failing ? 503 : 200).end(failing ? 'down' : 'flaky ok');
    });
    const steady = await startRecordingUpstream((_req, res) => res.end('steady ok'));
    const proxy = await startProxy({
      routes: [
        {
          name: 'api',
          upstream: { targets: [flaky.url, steady.url] },
          // Long enough for the four requests below to be served while the target is out.
          outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 1_000 },
        },
      ],
    });

    expect((await send(proxy.url)).status).toBe(503); // the upstream's own 503 reaches the client; flaky is out
    const whileOut = await Promise.all(Array.from({ length: 4 }, () => send(proxy.url)));
    expect(whileOut.map((reply) => reply.body)).toEqual(Array(4).fill('steady ok'));
    expect(flaky.requests).toHaveLength(1);

    failing = false;
    await waitFor(async () => (await send(proxy.url)).body === 'flaky ok', 5_000, 'the ejected target to be back');
    expect(flaky.requests.length).toBeGreaterThan(1);
  });

  it('retries on another target while one is out, so the client does not notice', async () => {
    const healthy = await ok();
    const proxy = await startProxy({
      routes: [
        {
          name: 'api',
          upstream: { targets: [await refusedUrl(), healthy.url] },
          retry: {},
          outlierDetection: { consecutiveFailures: 2 },
        },
      ],
    });

    const replies = await Promise.all(Array.from({ length: 6 }, () => send(proxy.url)));

    expect(replies.map((reply) => reply.status)).toEqual(Array(6).fill(200));
    expect(healthy.requests).toHaveLength(6);
  });
});
