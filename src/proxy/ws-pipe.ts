/**
 * A piped WebSocket session, used when the session is not traced (unsampled): nothing is recorded, so the
 * frames need not be seen, and copying bytes between the two sockets is measurably faster than relaying
 * messages (bench/ws-throughput.mjs). The client's handshake goes upstream as it came (its Sec-WebSocket-*
 * untouched, so the client and the upstream negotiate subprotocol and extensions directly), the upstream's
 * 101 goes back to the client, and from then on the two sockets are piped into each other.
 *
 * This does what http-proxy's WebSocket pass does, written out here because that pass writes a refused
 * upgrade's de-chunked body under the upstream's `transfer-encoding: chunked` header, rewrites the incoming
 * request's headers for X-Forwarded-*, and calls its error callback for errors after the 101 too.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { upstreamErrorFor } from './respond-error.js';
import { upstreamTls } from './ws-upstream-tls.js';
import { SEC_WEBSOCKET_EXTENSIONS_HEADER, SEC_WEBSOCKET_PROTOCOL_HEADER, upstreamResponseHeaders } from './ws-headers.js';
import { writeSwitchingProtocols } from './raw-response.js';
import { IDLE_CLOSE_REASON, sessionError, type Tunnel, type TunnelEvents, type TunnelOptions, type WsSessionSummary, type WsSide } from './ws-session.js';

export function openPipe(options: TunnelOptions, events: TunnelEvents): Tunnel {
  const { socket, target } = options;
  let state: 'connecting' | 'told' | 'aborted' = 'connecting';
  let session: PipeSession | undefined;
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const proxyReq = request({
    host: target.hostname,
    port: target.port,
    path: target.basePath + options.path,
    method: 'GET',
    headers: options.headers,
    agent: false, // an upgraded connection never goes back to a pool
    ...upstreamTls(target),
  });

  proxyReq.on('upgrade', (res: IncomingMessage, upstream: Socket, upstreamHead: Buffer) => {
    // A client socket destroyed a moment ago has not told the hop yet ('close' comes on the next tick).
    if (state !== 'connecting' || socket.destroyed) {
      upstream.destroy();
      return;
    }
    state = 'told';
    writeSwitchingProtocols(socket, [...upstreamResponseHeaders(res, true), ...options.responseHeaders]);
    session = new PipeSession(socket, upstream, options.idleTimeoutMs, (summary) => events.onEnd(summary));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    const head = options.takeHead();
    if (head.length > 0) upstream.write(head);
    session.start();
    events.onOpen({
      response: res,
      subprotocol: headerValue(res, SEC_WEBSOCKET_PROTOCOL_HEADER),
      extensions: headerValue(res, SEC_WEBSOCKET_EXTENSIONS_HEADER),
    });
  });
  proxyReq.on('response', (res: IncomingMessage) => {
    if (state !== 'connecting') {
      res.destroy();
      return;
    }
    state = 'told';
    res.once('close', () => proxyReq.destroy());
    events.onRefused(res);
  });
  proxyReq.on('error', (error) => {
    if (state !== 'connecting') return;
    state = 'told';
    events.onFailed(upstreamErrorFor(error));
  });
  proxyReq.end();

  return {
    // A pipe carries frames the proxy does not parse, so it has no way to slip a close frame in; a session
    // being drained is cut when the drain deadline passes.
    close() {},
    terminate() {
      if (session !== undefined) {
        session.terminate();
        return;
      }
      if (state === 'connecting') state = 'aborted';
      proxyReq.destroy();
    },
  };
}

/** Both sockets piped into each other; ends when both have closed. */
class PipeSession {
  private closedBy: WsSide | undefined;
  private closeReason = '';
  private open = 2;
  private readonly errors: { client?: Error; upstream?: Error } = {};
  private readonly readAtStart: number;
  private readonly writtenAtStart: number;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly idleTimeoutMs: number,
    private readonly onEnd: (summary: WsSessionSummary) => void,
  ) {
    this.readAtStart = client.bytesRead;
    this.writtenAtStart = client.bytesWritten;
  }

  start(): void {
    const { client, upstream } = this;
    this.watch(client, 'client', upstream);
    this.watch(upstream, 'upstream', client);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    if (this.idleTimeoutMs > 0) {
      // Bytes in either direction go through both sockets, so either one going quiet means the session is.
      client.setTimeout(this.idleTimeoutMs, () => this.onIdle());
      upstream.setTimeout(this.idleTimeoutMs, () => this.onIdle());
    }
    upstream.pipe(client);
    client.pipe(upstream);
  }

  terminate(): void {
    this.note('proxy', '');
    this.client.destroy();
    this.upstream.destroy();
  }

  private onIdle(): void {
    this.note('proxy', IDLE_CLOSE_REASON);
    this.client.destroy();
    this.upstream.destroy();
  }

  private watch(side: Socket, name: 'client' | 'upstream', other: Socket): void {
    side.on('error', (error) => {
      this.errors[name] ??= error;
    });
    side.once('end', () => this.note(name, ''));
    side.once('close', () => {
      this.note(name, '');
      // pipe() ends the other socket on a clean end, not after an error; the data it still has to write
      // is the last the peer will get, so it is ended rather than destroyed.
      if (!other.destroyed) other.end(() => other.destroy());
      this.open -= 1;
      if (this.open === 0) this.finish();
    });
  }

  private note(side: WsSide, reason: string): void {
    if (this.closedBy !== undefined) return;
    this.closedBy = side;
    this.closeReason = reason;
  }

  private finish(): void {
    const closedBy = this.closedBy ?? 'proxy';
    const cause = closedBy === 'proxy' ? undefined : this.errors[closedBy];
    this.onEnd({
      framesSeen: false,
      messagesFromClient: 0,
      bytesFromClient: this.client.bytesRead - this.readAtStart,
      messagesFromUpstream: 0,
      bytesFromUpstream: this.client.bytesWritten - this.writtenAtStart,
      pausesFromClient: 0,
      pausesFromUpstream: 0,
      maxQueuedFromClient: 0,
      maxQueuedFromUpstream: 0,
      closeCode: undefined,
      closeReason: this.closeReason,
      closedBy,
      error: sessionError(closedBy, undefined, cause),
    });
  }
}

function headerValue(res: IncomingMessage, name: string): string {
  const value = res.headers[name];
  return typeof value === 'string' ? value : '';
}
