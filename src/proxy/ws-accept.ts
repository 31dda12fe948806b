/**
 * The client-facing side of a relayed WebSocket: `ws` servers in noServer mode that finish the client's
 * handshake once the upstream has accepted its own. There are two, with and without permessage-deflate,
 * because the client gets compression only when the upstream agreed to it. What one handshake needs (the
 * upstream's subprotocol, headers to repeat, where to report a rejected handshake) travels on the request.
 * One set per proxy server, never module-level.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HeaderPairs } from './raw-response.js';

/** Per-message limits of relayed sessions; a relay holds at most one whole message per direction. */
export const WS_LIMITS = {
  maxPayload: 100 * 1024 * 1024, // 100 MiB: ws's own default, named so the cap on one message is visible
} as const;

export interface AcceptTerms {
  /** The subprotocol the upstream chose ('' for none): the one the client gets. */
  readonly subprotocol: string;
  /** Added to the client's 101. */
  readonly headers: HeaderPairs;
  /** `ws` refused the client's handshake (it has not answered the client). */
  onReject(error: Error): void;
}

export interface WsAcceptors {
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, deflate: boolean, terms: AcceptTerms, done: (client: WebSocket) => void): void;
  close(): void;
}

const TERMS = Symbol('hoptrace.wsAcceptTerms');
type TaggedRequest = IncomingMessage & { [TERMS]?: AcceptTerms };

export function createWsAcceptors(): WsAcceptors {
  const plain = createServer(false);
  const deflate = createServer(true);
  return {
    accept(req, socket, head, withDeflate, terms, done) {
      (req as TaggedRequest)[TERMS] = terms;
      (withDeflate ? deflate : plain).handleUpgrade(req, socket, head, (client) => done(client));
    },
    close() {
      plain.close();
      deflate.close();
    },
  };
}

function createServer(perMessageDeflate: boolean): WebSocketServer {
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate,
    maxPayload: WS_LIMITS.maxPayload,
    // Pings and pongs are relayed to the other side, so the peers see each other's liveness, not the proxy's.
    autoPong: false,
    handleProtocols: (offered, req) => {
      const chosen = (req as TaggedRequest)[TERMS]?.subprotocol ?? '';
      return chosen !== '' && offered.has(chosen) ? chosen : false;
    },
  });
  server.on('headers', (lines, req) => {
    for (const [name, value] of (req as TaggedRequest)[TERMS]?.headers ?? []) lines.push(`${name}: ${value}`);
  });
  server.on('wsClientError', (error, _socket, req) => (req as TaggedRequest)[TERMS]?.onReject(error));
  return server;
}
