/**
 * Requests that ask to upgrade to anything but WebSocket (`Upgrade: h2c` from `curl --http2`) are served as
 * ordinary HTTP/1.1 requests, as they would be by a server without an 'upgrade' listener: the upgrade is
 * ignored and the answer closes the connection.
 *
 * Once Node has emitted 'upgrade' it has stopped parsing the connection, so a body would still be raw bytes
 * on the socket; only bodyless requests can be served this way, and the rest get a 400.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { UpgradeUnsupportedError } from '../errors.js';
import { removeConnectionNamed } from './hop-headers.js';
import { endWithResponse } from './raw-response.js';

export function servePlainUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, onRequest: (req: IncomingMessage, res: ServerResponse) => void): void {
  const length = req.headers['content-length'];
  if (head.length > 0 || (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
    const error = new UpgradeUnsupportedError();
    const body = JSON.stringify({ error: error.errorType, message: error.message });
    endWithResponse(socket, error.status, [['content-type', 'application/json; charset=utf-8']], body);
    return;
  }
  forgetUpgrade(req);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => socket.end());
  onRequest(req, res);
}

/** The request as if it had never asked: without Upgrade and what Connection names; the answer closes the connection. */
function forgetUpgrade(req: IncomingMessage): void {
  removeConnectionNamed(req.headers, req.headers.connection ?? '');
  delete req.headers.upgrade;
  delete req.headers.connection;
}
