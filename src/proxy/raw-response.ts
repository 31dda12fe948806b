/**
 * HTTP answers written straight to a socket. After Node's 'upgrade' event there is no ServerResponse: the
 * handler owns the raw socket, and unless a status line is written to it by hand the client only sees a
 * hang-up. Every answer here says `connection: close` and ends the socket, since the socket has left Node's
 * HTTP parser and cannot carry another request.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type HeaderPairs = ReadonlyArray<readonly [string, string]>;

/** Writes a complete response (status, headers, optional body) and ends the socket. */
export function endWithResponse(socket: Duplex, status: number, headers: HeaderPairs, body = ''): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const withLength: Array<readonly [string, string]> = [...headers, ['content-length', String(Buffer.byteLength(body))]];
  socket.end(head(status, STATUS_CODES[status] ?? '', withLength) + body);
}

/**
 * Repeats the upstream's non-101 answer to an upgrade (a refusal, usually) to the client: status line,
 * `headers` (already filtered), then the body as it arrives. The body reaches us de-chunked, so the answer
 * is delimited by closing the connection unless the upstream gave a content-length.
 */
export function relayUpstreamAnswer(socket: Duplex, res: IncomingMessage, headers: HeaderPairs): void {
  if (!socket.writable) {
    socket.destroy();
    res.destroy();
    return;
  }
  socket.write(head(res.statusCode ?? 502, res.statusMessage ?? '', headers));
  res.pipe(socket);
  const cut = (): void => {
    socket.destroy();
  };
  res.once('aborted', cut);
  res.once('error', cut);
  socket.once('close', () => res.destroy());
}

/** The 101 of a piped upgrade: the upstream's headers (filtered) after the two a 101 must carry. */
export function writeSwitchingProtocols(socket: Duplex, headers: HeaderPairs): void {
  let text = 'HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: websocket\r\n';
  for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
  socket.write(`${text}\r\n`);
}

function head(status: number, message: string, headers: HeaderPairs): string {
  let text = `HTTP/1.1 ${status} ${message}\r\n`;
  for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
  return `${text}connection: close\r\n\r\n`;
}
