/**
 * Tools for fault tests: a client that speaks over a fresh connection each time (so socket counts return
 * to zero), raw-socket requests for bytes no HTTP client would send, an upstream that records how each
 * request ended (completed, or aborted by the proxy), a port that refuses connections, and a span
 * collector whose behaviour can be switched (accept, refuse, hang, answer 500) while a test runs.
 */
import { once } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { App } from '../../src/app.js';
import type { ZipkinSpan } from '../../src/export/zipkin-model.js';
import { listen } from './listen.js';
import type { TestProxy } from './proxy.js';
import { waitFor } from './wait.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Gives up on an answer after this long: rejects with code `NO_ANSWER` and closes the connection. */
  timeoutMs?: number;
}

/** One request on its own connection (`connection: close`); rejects if the connection breaks. */
export function send(baseUrl: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${options.path ?? '/'}`,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'NO_ANSWER' })));
    }
    req.end(options.body);
  });
}

/** Writes `text` on a new connection and returns everything the server sent until it closed. */
export function sendRaw(address: string, text: string | Buffer, timeoutMs = 5_000): Promise<string> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; received ${JSON.stringify(received.slice(0, 200))}`));
    }, timeoutMs);
    socket.write(text);
  });
}

export function splitAddress(address: string): [string, number] {
  const url = new URL(address.includes('://') ? address : `http://${address}`);
  return [url.hostname, Number(url.port)];
}

/** The status line's code of a raw answer, 0 when there was none. */
export function statusOf(raw: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return match === null ? 0 : Number(match[1]);
}

/** A URL on 127.0.0.1 where nothing listens: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Set when the request's exchange ended: completed, or cut before the response finished. */
  outcome?: 'completed' | 'aborted';
}

export interface RecordingUpstream {
  url: string;
  requests: SeenRequest[];
  server: http.Server;
  /** Waits for the `index`th request (0-based) to end, and returns how it ended. */
  outcome(index: number, timeoutMs?: number): Promise<'completed' | 'aborted'>;
}

/**
 * An upstream that hands each request to `handler` as soon as its headers arrive (body unread), and records
 * whether the exchange completed or was cut by the other side (the proxy aborting its upstream request).
 */
export async function startRecordingUpstream(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<RecordingUpstream> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(seen);
    res.on('close', () => {
      seen.outcome = res.writableFinished ? 'completed' : 'aborted';
    });
    handler(req, res);
  });
  const { url } = await listen(server);
  return {
    url,
    requests,
    server,
    outcome: (index, timeoutMs = 5_000) => waitFor(() => requests[index]?.outcome, timeoutMs, `upstream request ${index} to end`),
  };
}

export type CollectorMode = 'accept' | 'fail500' | 'hang' | 'reset';

export interface Collector {
  endpoint: string;
  spans: ZipkinSpan[];
  posts: number;
  /** Switches behaviour; requests left hanging are answered 503 when leaving 'hang'. */
  setMode(mode: CollectorMode): void;
  waitForSpans(predicate: (spans: ZipkinSpan[]) => boolean, timeoutMs?: number): Promise<ZipkinSpan[]>;
}

/** A Zipkin span endpoint that accepts, answers 500, never answers, or resets, as the test says. */
export async function startCollector(mode: CollectorMode = 'accept'): Promise<Collector> {
  const hanging = new Set<ServerResponse>();
  const collector: Collector = {
    endpoint: '',
    spans: [],
    posts: 0,
    setMode(next) {
      mode = next;
      if (next !== 'hang') {
        for (const res of hanging) res.writeHead(503).end();
        hanging.clear();
      }
    },
    waitForSpans: (predicate, timeoutMs = 5_000) =>
      waitFor(() => predicate(collector.spans) && collector.spans, timeoutMs, 'spans at the collector'),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      collector.posts += 1;
      if (mode === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (mode === 'reset') {
        req.socket.destroy();
        return;
      }
      if (mode === 'fail500') {
        res.writeHead(500).end();
        return;
      }
      collector.spans.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ZipkinSpan[]));
      res.writeHead(202).end();
    });
  });
  const { url } = await listen(server);
  collector.endpoint = `${url}/api/v2/spans`;
  return collector;
}

/** Waits until the proxy holds no client connection and no upstream connection carries a request. */
export async function expectNoSocketsLeft(app: App, timeoutMs = 5_000): Promise<void> {
  await waitFor(() => app.openSockets() === 0 && app.upstreamSockets().active === 0, timeoutMs, 'the proxy to hold no busy socket');
}

export interface HopSpans {
  server: ReadableSpan;
  /** The CLIENT spans of the hop, one per attempt, in the order the attempts started. */
  clients: ReadableSpan[];
}

/**
 * Waits until the proxy has exported the SERVER span of a hop and `clientCount` CLIENT spans of its trace
 * (the only hop of the test, or the one whose trace id is given).
 */
export async function hopSpans(proxy: TestProxy, clientCount: number, traceId?: string): Promise<HopSpans> {
  return waitFor(
    async () => {
      const spans = await proxy.spans();
      const server = spans.find((span) => span.kind === SpanKind.SERVER && (traceId === undefined || span.spanContext().traceId === traceId));
      if (server === undefined) return undefined;
      const clients = spans
        .filter((span) => span.kind === SpanKind.CLIENT && span.spanContext().traceId === server.spanContext().traceId)
        .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
      return clients.length === clientCount ? { server, clients } : undefined;
    },
    5_000,
    `a SERVER span and ${clientCount} CLIENT span(s)`,
  );
}

/** The trace id named by a `traceresponse` header. */
export function traceIdOf(headers: IncomingHttpHeaders): string {
  const value = headers.traceresponse;
  if (typeof value !== 'string') throw new Error('no traceresponse header');
  return value.split('-')[1]!;
}
