/**
 * The proxy's listening socket: one http.Server (an https.Server when the config has `tls`) whose
 * 'request' handler starts an HttpHop against the runtime current at the request's arrival (a reload swaps
 * it for later requests only). Malformed requests are answered by Node's parser through 'clientError'
 * (400, or 431 for oversize headers), and requests over `limits` by screenRequest; neither is forwarded.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { LimitsConfig } from '../config/types.js';
import type { ListenerTls } from '../config/tls-files.js';
import { HttpHop, type HopRuntime } from './http-hop.js';
import { parserHeaderCount, screenRequest } from './request-limits.js';
import { respondRefused } from './respond-error.js';

export interface ProxyServerOptions {
  /** Serve HTTPS with this certificate and key; whether to is fixed when the server is created. */
  readonly tls?: ListenerTls;
  readonly limits: LimitsConfig;
}

export interface ProxyServer {
  readonly server: http.Server;
  /** Sockets open right now, client side; used for drain and for leak checks in tests. */
  openSockets(): number;
  /** Requests whose response has not finished yet. */
  inFlight(): number;
  /** Stops accepting, waits for in-flight requests up to `timeoutMs`, then cuts what is left. */
  close(timeoutMs: number): Promise<void>;
  /** Takes a reloaded config's certificate and limits (all but maxHeaderBytes, which needs a restart). */
  update(options: ProxyServerOptions): void;
}

export const SERVER_LIMITS = {
  headersTimeout: 30_000, // a client has 30 s to finish sending its headers (slowloris)
  requestTimeout: 0, // no cap on a whole request: uploads may be long; upstream time is capped per route
  keepAliveTimeout: 65_000, // above common load balancers' 60 s idle timeout, so they close first
} as const;

export function createProxyServer(currentRuntime: () => HopRuntime, options: ProxyServerOptions): ProxyServer {
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let draining = false;
  let limits = options.limits;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      // While draining, a connection goes as soon as its last response is out.
      if (draining) res.shouldKeepAlive = false;
    });
    if (draining) res.shouldKeepAlive = false;
    const refusal = screenRequest(req, limits);
    if (refusal !== undefined) respondRefused(res, refusal);
    else new HttpHop(currentRuntime(), req, res).start();
  };
  // Over maxHeaderBytes (request line included) the parser answers 431 itself, through 'clientError'.
  const serverOptions = { ...SERVER_LIMITS, maxHeaderSize: limits.maxHeaderBytes };
  const server: http.Server =
    options.tls === undefined
      ? http.createServer(serverOptions, onRequest)
      : https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, onRequest);
  server.keepAliveTimeout = SERVER_LIMITS.keepAliveTimeout;
  applyLimits(server, limits);

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  return {
    server,
    openSockets: () => sockets.size,
    inFlight: () => inFlight,
    async close(timeoutMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
      await closed;
      clearTimeout(deadline);
    },
    update(next) {
      limits = next.limits;
      applyLimits(server, limits);
      if (server instanceof https.Server && next.tls !== undefined) server.setSecureContext({ cert: next.tls.cert, key: next.tls.key });
    },
  };
}

function applyLimits(server: http.Server, limits: LimitsConfig): void {
  server.maxHeadersCount = parserHeaderCount(limits);
  // Past this many open connections, new ones are closed as they arrive (Node emits 'drop').
  server.maxConnections = limits.maxConnections;
}
