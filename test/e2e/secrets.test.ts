/**
 * Secrets in every place a client or upstream can put them (credential headers, cookies, query values,
 * userinfo in an absolute-form URL, tracestate, baggage, unlisted headers, credential headers listed for
 * capture) must reach no exported span, no log line and no admin response, whichever way the request ends
 * (200, 404, 502). Each secret carries the marker S3CRET; positive controls show that the secrets were
 * really sent and that what the capture policy allows is still recorded.
 */
import { once } from 'node:events';
import http from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { startCli, writeConfig } from '../helpers/cli.js';
import { listen } from '../helpers/listen.js';
import { startProxy } from '../helpers/proxy.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { startZipkinReceiver } from '../helpers/zipkin-receiver.js';

const MARKER = 'S3CRET';
/** Admin paths to read after the requests; every one that exists must leak nothing. */
const ADMIN_PATHS = ['/healthz', '/readyz'];

async function secretUpstream(): Promise<Upstream> {
  return startUpstream((_req, res) => {
    res.writeHead(200, { 'set-cookie': [`sid=${MARKER}-set-cookie; HttpOnly`], 'x-cache': 'HIT', 'x-upstream-token': `${MARKER}-response` });
    res.end('ok');
  });
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  const { port } = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function routesFor(upstream: Upstream, downPort: number): unknown[] {
  const capture = {
    requestHeaders: ['x-tenant', 'authorization', 'Cookie', 'proxy-authorization'],
    responseHeaders: ['x-cache', 'set-cookie'],
    queryParams: ['page'],
  };
  return [
    { name: 'api', match: { pathPrefix: '/api' }, upstream: upstream.url, capture },
    { name: 'down', match: { pathPrefix: '/down' }, upstream: `http://127.0.0.1:${downPort}`, capture },
  ];
}

function send(proxy: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port } = new URL(proxy);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends the secrets every way; returns the statuses, in order. */
async function sendSecrets(proxy: string): Promise<number[]> {
  const { host } = new URL(proxy);
  const headers = {
    authorization: `Bearer ${MARKER}-authorization`,
    'proxy-authorization': `Basic ${MARKER}-proxy-authorization`,
    cookie: `session=${MARKER}-cookie; theme=dark`,
    'x-api-key': `${MARKER}-unlisted-header`,
    'x-tenant': 'tenant-visible',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: `vendor=${MARKER}-tracestate,other=1`,
    baggage: `user=${MARKER}-baggage`,
  };
  return [
    await send(proxy, `/api/items?page=2&token=${MARKER}-query&api_key=${MARKER}-query2`, headers),
    await send(proxy, `http://user:${MARKER}-userinfo@${host}/api/absolute?sig=${MARKER}-absolute-query`, headers),
    await send(proxy, `/nowhere?token=${MARKER}-404-query`, headers),
    await send(proxy, `/down/x?token=${MARKER}-502-query`, headers),
  ];
}

async function adminBodies(admin: string): Promise<string> {
  let text = '';
  for (const path of ADMIN_PATHS) {
    const res = await fetch(`http://${admin}${path}`);
    text += `${path} ${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}\n`;
  }
  return text;
}

function spanText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      status: span.status,
      events: span.events,
      links: span.links,
      resource: span.resource.attributes,
    })),
  );
}

function expectUpstreamGotSecrets(upstream: Upstream): void {
  const first = upstream.requests[0]!;
  expect(first.headers.authorization).toBe(`Bearer ${MARKER}-authorization`);
  expect(first.headers.tracestate).toContain(`${MARKER}-tracestate`);
  expect(first.url).toContain(`${MARKER}-query`);
}

describe('no secret leaves through spans, logs or the admin port', () => {
  it('through the real CLI: Zipkin JSON at a receiver, console spans on stdout, every log line', async () => {
    const upstream = await secretUpstream();
    const zipkin = await startZipkinReceiver();
    const path = writeConfig({
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      tracing: { exporters: [{ type: 'zipkin', endpoint: zipkin.endpoint }, { type: 'console' }] },
      routes: routesFor(upstream, await closedPort()),
    });
    const cli = await startCli(path, { HOPTRACE_LOG_LEVEL: 'trace' });

    expect(await sendSecrets(`http://${cli.proxy}`)).toEqual([200, 200, 404, 502]);
    const spans = await zipkin.waitForSpans(7);
    const admin = await adminBodies(cli.admin);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);

    expectUpstreamGotSecrets(upstream);
    const server = spans.find((span) => span.kind === 'SERVER' && span.tags?.['url.path'] === '/api/items')!;
    expect(server.tags).toMatchObject({
      'url.query': 'page=2&token=REDACTED&api_key=REDACTED',
      'http.request.header.x-tenant': 'tenant-visible',
      'http.response.header.x-cache': 'HIT',
    });
    expect(cli.stdout()).toContain('tenant-visible'); // the console exporter did print the spans
    expect(JSON.stringify(spans)).not.toContain(MARKER);
    expect(cli.stdout()).not.toContain(MARKER);
    expect(cli.stderr()).not.toContain(MARKER);
    expect(admin).not.toContain(MARKER);
  });

  it('through the app: every attribute, status and event of the in-memory spans, and every log line', async () => {
    const upstream = await secretUpstream();
    let logs = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString('utf8');
        done();
      },
    });
    const proxy = await startProxy({ routes: routesFor(upstream, await closedPort()) }, { logger: pino({ level: 'trace' }, sink) });

    expect(await sendSecrets(proxy.url)).toEqual([200, 200, 404, 502]);
    const spans = await proxy.spans();
    const admin = await adminBodies(proxy.adminUrl.replace('http://', ''));
    await proxy.app.close();
    if (sink.writableLength > 0) await once(sink, 'drain');

    expect(spans).toHaveLength(7);
    expectUpstreamGotSecrets(upstream);
    expect(logs).toContain('listening'); // the logger was wired and wrote
    expect(spanText(spans)).toContain('tenant-visible');
    expect(spanText(spans)).not.toContain(MARKER);
    expect(JSON.stringify([...proxy.app.store.traces()])).not.toContain(MARKER);
    expect(logs).not.toContain(MARKER);
    expect(admin).not.toContain(MARKER);
  });
});
