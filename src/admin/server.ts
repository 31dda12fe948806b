/**
 * The admin port: a small HTTP server that dispatches on method and path to handlers registered by the
 * app (health, metrics, the Zipkin API, the viewer). It never touches the proxy's request path.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AdminGuard } from './auth.js';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface AdminRoute {
  readonly method: 'GET' | 'POST';
  /** An exact path, or a prefix ending in `/` (then `prefix: true`). */
  readonly path: string;
  readonly prefix?: boolean;
  readonly handler: AdminHandler;
}

export interface AdminServer {
  readonly server: http.Server;
  close(): Promise<void>;
}

export interface AdminServerOptions {
  /** Runs before routing, so a request without the token learns nothing, not even which paths exist. */
  readonly guard?: AdminGuard;
}

export function createAdminServer(routes: readonly AdminRoute[], options: AdminServerOptions = {}): AdminServer {
  const sockets = new Set<Socket>();
  const { guard } = options;
  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin');
    } catch {
      // An absolute-form target that is no URL (`http://[`) would otherwise throw out of the handler.
      sendJson(res, 400, { error: 'bad_request' });
      return;
    }
    if (guard !== undefined && !guard(req, res, url.pathname)) return;
    const route = routes.find(
      (candidate) =>
        (candidate.prefix === true ? url.pathname.startsWith(candidate.path) : url.pathname === candidate.path) &&
        (candidate.method === req.method || (candidate.method === 'GET' && req.method === 'HEAD')),
    );
    if (route === undefined) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res, url))
      .catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
        else res.destroy();
      });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
