/**
 * Real WebSocket peers on 127.0.0.1 for tests: an upstream (an http.Server with a `ws` server on it) that
 * records every handshake request it receives, and a client that is terminated with the test.
 */
import { once } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer, type ClientOptions, type ServerOptions } from 'ws';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { App } from '../../src/app.js';
import type { HopListener, HopRecord, WsSessionRecord } from '../../src/proxy/hop-record.js';
import { WS_SESSION_SPAN_PREFIX } from '../../src/tracing/attributes.js';
import { listen } from './listen.js';
import { waitFor } from './wait.js';

export interface WsUpstream {
  url: string;
  port: number;
  server: http.Server | https.Server;
  wss: WebSocketServer;
  /** Every handshake the upstream accepted, in order. */
  handshakes: Array<{ url: string; headers: IncomingHttpHeaders }>;
  /** Server-side connections, in order of arrival. */
  connections: WebSocket[];
  /** Resolves with the next connection (or one already made that no test has taken yet). */
  nextConnection(): Promise<WebSocket>;
}

export type ConnectionHandler = (ws: WebSocket) => void;

/** Echoes every message back with its type. */
export const echo: ConnectionHandler = (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));

/** `tls`: serve wss:// with this certificate and key. */
export async function startWsUpstream(
  onConnection: ConnectionHandler = echo,
  options: Omit<ServerOptions, 'server' | 'port' | 'noServer'> = {},
  tls?: { cert: string; key: string },
): Promise<WsUpstream & { servernames: Array<string | false> }> {
  const answer = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('upgrade required');
  };
  const server = tls === undefined ? http.createServer(answer) : https.createServer(tls, answer);
  const servernames: Array<string | false> = [];
  const wss = new WebSocketServer({ server, ...options });
  const handshakes: WsUpstream['handshakes'] = [];
  const connections: WebSocket[] = [];
  const waiting: Array<(ws: WebSocket) => void> = [];
  let taken = 0;
  wss.on('headers', (_lines, req) => {
    handshakes.push({ url: req.url ?? '', headers: req.headers });
    if (tls !== undefined) servernames.push((req.socket as TLSSocket).servername ?? false);
  });
  wss.on('connection', (ws) => {
    connections.push(ws);
    onConnection(ws);
    const resolve = waiting.shift();
    if (resolve !== undefined) {
      taken += 1;
      resolve(ws);
    }
  });
  const { url, port } = await listen(server as http.Server);
  onTestFinished(() => {
    for (const ws of connections) ws.terminate();
  });
  return {
    url: tls === undefined ? url : url.replace('http:', 'https:'),
    port,
    servernames,
    server,
    wss,
    handshakes,
    connections,
    nextConnection: () =>
      taken < connections.length ? Promise.resolve(connections[taken++]!) : new Promise((resolve) => waiting.push(resolve)),
  };
}

/** A `ws` client to `url` (http:// is accepted), terminated with the test. Not yet open. */
export function wsClient(url: string, protocols?: string | string[], options?: ClientOptions): WebSocket {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols, options);
  ws.on('error', () => {}); // tests wait on 'close' or 'unexpected-response'; an error is always followed by 'close'
  onTestFinished(() => ws.terminate());
  return ws;
}

export async function openClient(url: string, protocols?: string | string[], options?: ClientOptions): Promise<WebSocket> {
  const ws = wsClient(url, protocols, options);
  await once(ws, 'open');
  return ws;
}

/** The next message on `ws`, as [data, isBinary]. */
export async function nextMessage(ws: WebSocket): Promise<[Buffer, boolean]> {
  const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
  return [data, isBinary];
}

/** Resolves with [code, reason] when `ws` closes. */
export async function closed(ws: WebSocket): Promise<[number, string]> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('already closed: wait for close before it happens');
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return [code, reason.toString()];
}

/** Records what the proxy reports to its HopListener, handshakes and sessions apart. */
export function recordHops(): { hops: HopRecord[]; sessions: WsSessionRecord[]; started: () => number; listener: HopListener } {
  const hops: HopRecord[] = [];
  const sessions: WsSessionRecord[] = [];
  let started = 0;
  return {
    hops,
    sessions,
    started: () => started,
    listener: {
      onHopStart() {},
      onHopEnd: (record) => hops.push(record),
      onSessionStart: () => (started += 1),
      onSessionEnd: (record) => sessions.push(record),
    },
  };
}

/** Spans of WebSocket sessions (`websocket /route`), in the order they ended. */
export function sessionSpans(spans: ReadableSpan[]): ReadableSpan[] {
  return spans.filter((span) => span.name.startsWith(`${WS_SESSION_SPAN_PREFIX} `));
}

/** Waits until every session ended and the proxy holds no socket: the leak check every test ends with. */
export async function proxyIsIdle(app: App): Promise<void> {
  await waitFor(() => app.wsSessions() === 0 && app.openSockets() === 0, 5_000, 'no open sessions or sockets on the proxy');
}

export interface RawHandshake {
  /** The status line and headers exactly as received, up to the blank line. */
  head: string;
  status: number;
  socket: net.Socket;
  /** Everything read after the head so far (a body, or the first frames). */
  rest: () => Buffer;
}

/**
 * Sends an upgrade request by hand over a plain socket, so a test controls every header (a `ws` client
 * writes its own Connection, Sec-WebSocket-Key...). `headers` are added to a valid WebSocket handshake;
 * a null value removes that header.
 */
export async function rawHandshake(url: string, path: string, headers: Record<string, string | null> = {}, method = 'GET'): Promise<RawHandshake> {
  const { hostname, port, host } = new URL(url);
  const all: Record<string, string | null> = {
    host,
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
    ...headers,
  };
  const socket = net.connect(Number(port), hostname);
  onTestFinished(() => {
    socket.destroy();
  });
  let lines = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(all)) if (value !== null) lines += `${name}: ${value}\r\n`;
  socket.write(`${lines}\r\n`);
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const end = await waitFor(() => {
    const at = received.indexOf('\r\n\r\n');
    if (at !== -1) return at;
    if (socket.destroyed) throw new Error(`connection closed before a response head: ${JSON.stringify(received.toString())}`);
    return undefined;
  }, 5_000, 'a response head');
  const head = received.subarray(0, end).toString('latin1');
  return { head, status: Number(head.split(' ')[1]), socket, rest: () => received.subarray(end + 4) };
}
