/**
 * The proxy's listening socket: one http.Server whose 'request' handler starts an HttpHop against the
 * runtime current at the request's arrival (a reload swaps it for later requests only). Malformed requests
 * are answered by Node's parser through 'clientError' (400, or 431 for oversize headers), never forwarded.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpHop, type HopRuntime } from './http-hop.js';

export interface ProxyServer {
  readonly server: http.Server;
  /** Sockets open right now, client side; used for drain and for leak checks in tests. */
  openSockets(): number;
  /** Requests whose response has not finished yet. */
  inFlight(): number;
  /** Stops accepting, waits for in-flight requests up to `timeoutMs`, then cuts what is left. */
  close(timeoutMs: number): Promise<void>;
}

export const SERVER_LIMITS = {
  maxHeaderSize: 16 * 1024, // 16 KiB, Node's default; larger header blocks get 431
  headersTimeout: 30_000, // a client has 30 s to finish sending its headers (slowloris)
  requestTimeout: 0, // no cap on a whole request: uploads may be long; upstream time is capped per route
  keepAliveTimeout: 65_000, // above common load balancers' 60 s idle timeout, so they close first
} as const;

export function createProxyServer(currentRuntime: () => HopRuntime): ProxyServer {
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let draining = false;

  const server = http.createServer({ ...SERVER_LIMITS }, (req: IncomingMessage, res: ServerResponse) => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      // While draining, a connection goes as soon as its last response is out.
      if (draining) res.shouldKeepAlive = false;
    });
    if (draining) res.shouldKeepAlive = false;
    new HttpHop(currentRuntime(), req, res).start();
  });
  server.keepAliveTimeout = SERVER_LIMITS.keepAliveTimeout;

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
  };
}
