/**
 * The proxy's listening socket: one http.Server whose 'request' handler starts an HttpHop against the
 * runtime current at the request's arrival (a reload swaps it for later requests only). Malformed requests
 * are answered by Node's parser through 'clientError' (400, or 431 for oversize headers), never forwarded.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpHop, type HopRuntime } from './http-hop.js';
import { servePlainUpgrade } from './plain-upgrade.js';
import { createWsAcceptors } from './ws-accept.js';
import { isWebSocketUpgrade } from './ws-headers.js';
import { WsHop } from './ws-hop.js';
import { createWsSessions } from './ws-sessions.js';

export interface ProxyServer {
  readonly server: http.Server;
  /** Sockets open right now, client side; used for drain and for leak checks in tests. */
  openSockets(): number;
  /** Requests whose response has not finished yet. */
  inFlight(): number;
  /** WebSocket sessions open right now (after their 101, until both sides closed). */
  wsSessions(): number;
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

  const wsSessions = createWsSessions();
  const wsContext = { acceptors: createWsAcceptors(), sessions: wsSessions };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      // While draining, a connection goes as soon as its last response is out.
      if (draining) res.shouldKeepAlive = false;
    });
    if (draining) res.shouldKeepAlive = false;
    new HttpHop(currentRuntime(), req, res).start();
  };
  const server = http.createServer({ ...SERVER_LIMITS }, onRequest);
  server.keepAliveTimeout = SERVER_LIMITS.keepAliveTimeout;

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Node removed its own listeners from the socket; an error on it is followed by 'close', which every
    // path below watches, so this listener only keeps the error from being thrown.
    socket.on('error', () => {});
    if (isWebSocketUpgrade(req)) new WsHop(currentRuntime(), wsContext, req, socket, head).start();
    else servePlainUpgrade(req, socket, head, onRequest);
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
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

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
      const deadline = setTimeout(() => {
        server.closeAllConnections();
        // Upgraded sockets are out of Node's reach (closeAllConnections skips them) but server.close() waits for them.
        wsSessions.terminateAll();
        for (const socket of sockets) socket.destroy();
      }, timeoutMs);
      await closed;
      clearTimeout(deadline);
      wsContext.acceptors.close();
    },
  };
}
