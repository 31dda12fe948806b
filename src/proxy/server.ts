/**
 * The proxy's listening socket: one http.Server (an https.Server when the config has `tls`) whose
 * 'request' handler starts an HttpHop against the runtime current at the request's arrival (a reload swaps
 * it for later requests only). Malformed requests are answered by Node's parser through 'clientError'
 * (400, 431 for oversize headers, 408 for headers that take longer than headersTimeoutMs), and requests
 * over `limits` by screenRequest; neither is forwarded. CONNECT is answered 405, never tunnelled.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LimitsConfig } from '../config/types.js';
import type { ListenerTls } from '../config/tls-files.js';
import { DrainTimeoutError } from '../errors.js';
import { HttpHop, type HopRuntime } from './http-hop.js';
import { InFlightList } from './in-flight.js';
import { parserHeaderCount, screenRequest } from './request-limits.js';
import { refuseOnSocket, respondRefused } from './respond-error.js';
import { servePlainUpgrade } from './plain-upgrade.js';
import { createWsAcceptors } from './ws-accept.js';
import { isWebSocketUpgrade } from './ws-headers.js';
import { WsHop } from './ws-hop.js';
import { createWsSessions } from './ws-sessions.js';

export interface ProxyServerOptions {
  /** Serve HTTPS with this certificate and key; whether to is fixed when the server is created. */
  readonly tls?: ListenerTls;
  readonly limits: LimitsConfig;
  /** routes.json's headersTimeoutMs; SERVER_LIMITS.headersTimeout when absent. */
  readonly headersTimeoutMs?: number;
}

export interface ProxyServer {
  readonly server: http.Server;
  /** Sockets open right now, client side; used for drain and for leak checks in tests. */
  openSockets(): number;
  /** Requests whose response has not finished yet. */
  inFlight(): number;
  /** WebSocket sessions open right now (after their 101, until both sides closed). */
  wsSessions(): number;
  /**
   * Stops accepting, waits for in-flight requests and WebSocket sessions up to `timeoutMs`, then cuts what
   * is left (503 when the answer has not started) and resolves once every hop has ended its spans.
   */
  close(timeoutMs: number): Promise<void>;
  /** Takes a reloaded config's certificate, limits and headersTimeoutMs (all but maxHeaderBytes, which needs a restart). */
  update(options: ProxyServerOptions): void;
}

export const SERVER_LIMITS = {
  headersTimeout: 30_000, // a client has 30 s to finish sending its headers (slowloris); routes.json's headersTimeoutMs
  requestTimeout: 0, // no cap on a whole request: uploads may be long; upstream time is capped per route
  keepAliveTimeout: 65_000, // above common load balancers' 60 s idle timeout, so they close first
} as const;

/** Once the listener has closed (or the drain deadline cut what was left), how long hops and WebSocket sessions get to end their spans before close() gives up on them. */
const HOP_END_GRACE_MS = 1_000;

const CONNECT_REFUSED =
  'HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

export function createProxyServer(currentRuntime: () => HopRuntime, options: ProxyServerOptions): ProxyServer {
  const sockets = new Set<Socket>();
  const hops = new InFlightList<HttpHop>();
  let onHopsEnded: (() => void) | undefined;
  let inFlight = 0;
  let draining = false;
  let limits = options.limits;

  const wsSessions = createWsSessions();
  const wsContext = { acceptors: createWsAcceptors(), sessions: wsSessions };

  /** Every request's last step, when its response closes (for a hop, after it has ended its spans). */
  const requestClosed = (res: ServerResponse): void => {
    inFlight -= 1;
    // While draining, a connection goes as soon as its last response is out.
    if (draining) res.shouldKeepAlive = false;
  };
  const refusedClosed = function (this: ServerResponse): void {
    requestClosed(this);
  };
  const hopEnded = (hop: HttpHop): void => {
    hops.delete(hop);
    hop.runtime.hops.leave();
    requestClosed(hop.res);
    if (hops.size === 0) onHopsEnded?.();
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight += 1;
    if (draining) res.shouldKeepAlive = false;
    const refusal = screenRequest(req, limits);
    if (refusal !== undefined) {
      res.once('close', refusedClosed);
      respondRefused(res, refusal);
      return;
    }
    const runtime = currentRuntime();
    runtime.hops.enter();
    const hop = new HttpHop(runtime, req, res, hopEnded);
    hops.add(hop);
    hop.start();
  };
  const headersTimeout = options.headersTimeoutMs ?? SERVER_LIMITS.headersTimeout;
  // Over maxHeaderBytes (request line included) the parser answers 431 itself, through 'clientError'.
  const serverOptions = {
    ...SERVER_LIMITS,
    headersTimeout,
    // Node checks header deadlines on this interval (30 s by default), so a short timeout needs a short one.
    connectionsCheckingInterval: Math.min(Math.max(Math.floor(headersTimeout / 2), 50), 5_000),
    maxHeaderSize: limits.maxHeaderBytes,
  };
  const server: http.Server =
    options.tls === undefined
      ? http.createServer(serverOptions, onRequest)
      : https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, onRequest);
  server.keepAliveTimeout = SERVER_LIMITS.keepAliveTimeout;
  applyLimits(server, limits);

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Node removed its own listeners from the socket; an error on it is followed by 'close', which every
    // path below watches, so this listener only keeps the error from being thrown.
    socket.on('error', () => {});
    if (!isWebSocketUpgrade(req)) {
      servePlainUpgrade(req, socket, head, onRequest);
      return;
    }
    const refusal = screenRequest(req, limits);
    if (refusal !== undefined) refuseOnSocket(socket, refusal);
    else {
      // Like an HTTP hop, a session holds its runtime: a reload waits for it before retiring old exporters.
      const runtime = currentRuntime();
      runtime.hops.enter();
      socket.once('close', () => runtime.hops.leave());
      new WsHop(runtime, wsContext, req, socket, head).start();
    }
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${clientErrorStatus(error.code)}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  // SPEC §5, no open proxy: hoptrace never opens a tunnel, whatever host a CONNECT names.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(CONNECT_REFUSED);
  });

  function hopsEnded(): Promise<void> {
    if (hops.size === 0) return Promise.resolve();
    return withinGrace(new Promise((resolve) => (onHopsEnded = resolve)));
  }

  function sessionsEnded(): Promise<void> {
    return wsSessions.size === 0 ? Promise.resolve() : withinGrace(wsSessions.idle());
  }

  return {
    server,
    openSockets: () => sockets.size,
    inFlight: () => inFlight,
    wsSessions: () => wsSessions.size,
    async close(timeoutMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      wsSessions.drain();
      let cutDone: (() => void) | undefined;
      const cut = new Promise<void>((resolve) => (cutDone = resolve));
      const deadline = setTimeout(() => {
        for (const hop of hops.toArray()) hop.cut(new DrainTimeoutError());
        // One turn for the 503s just written to leave before every connection is closed.
        setImmediate(() => {
          server.closeAllConnections();
          // Upgraded sockets are out of Node's reach (closeAllConnections skips them) but server.close() waits for them.
          wsSessions.terminateAll();
          for (const socket of sockets) socket.destroy();
          cutDone?.();
        });
      }, timeoutMs);
      await Promise.race([closed, cut]);
      clearTimeout(deadline);
      await hopsEnded();
      // The server reports closed when the last socket has, which can be a moment before a session's hop
      // has heard both sides close and ended its session span; the exporters are flushed after this.
      await sessionsEnded();
      wsContext.acceptors.close();
    },
    update(next) {
      limits = next.limits;
      applyLimits(server, limits);
      if (next.headersTimeoutMs !== undefined) server.headersTimeout = next.headersTimeoutMs;
      if (server instanceof https.Server && next.tls !== undefined) server.setSecureContext({ cert: next.tls.cert, key: next.tls.key });
    },
  };
}

/** Resolves when `ended` does, or after HOP_END_GRACE_MS: a hop or session that never reports its end cannot hold close(). */
function withinGrace(ended: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const giveUp = setTimeout(resolve, HOP_END_GRACE_MS);
    void ended.then(() => {
      clearTimeout(giveUp);
      resolve();
    });
  });
}

function applyLimits(server: http.Server, limits: LimitsConfig): void {
  server.maxHeadersCount = parserHeaderCount(limits);
  // Past this many open connections, new ones are closed as they arrive (Node emits 'drop').
  server.maxConnections = limits.maxConnections;
}

function clientErrorStatus(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  return '400 Bad Request';
}
