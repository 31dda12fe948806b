/**
 * What the two ways of carrying a WebSocket session (ws-relay.ts, ws-pipe.ts) share with the hop that
 * started them: the events of a handshake, the handle on an open session, and how a session's end is told.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WsClientGoneError, WsProtocolError, WsUpstreamGoneError, type ResponseError } from '../errors.js';
import type { Target } from '../routing/balance.js';
import type { HeaderPairs } from './raw-response.js';
import type { HandshakeHeaders } from './ws-headers.js';

/** The client's upgrade as Node handed it over, where it goes, and the headers the hop prepared. */
export interface TunnelOptions {
  readonly req: IncomingMessage;
  readonly socket: Socket;
  /**
   * Ends the hop's watch on the client socket (it reads during the handshake to see the client leave) and
   * returns what the client sent after its handshake. The socket is left paused for its next reader.
   */
  takeHead(): Buffer;
  readonly target: Target;
  /** Path and query to ask the upstream for (the route's prefix already stripped if it says so). */
  readonly path: string;
  /** Headers of the upstream's handshake request, trace headers injected. */
  readonly headers: HandshakeHeaders;
  /** Headers the hop adds to the client's 101 (`traceresponse`). */
  readonly responseHeaders: HeaderPairs;
  /** 0: never. */
  readonly idleTimeoutMs: number;
}

/** What the proxy sends both sides when a session carried nothing for the route's wsIdleTimeoutMs. */
export const IDLE_CLOSE_CODE = 1001;
export const IDLE_CLOSE_REASON = 'idle timeout';

export type WsSide = 'client' | 'upstream' | 'proxy';

export interface WsNegotiated {
  /** The upstream's 101. */
  readonly response: IncomingMessage;
  /** The subprotocol the upstream chose, '' for none. */
  readonly subprotocol: string;
  /** The extensions in force on the client's connection, as its 101 named them ('' for none). */
  readonly extensions: string;
}

export interface WsSessionSummary {
  readonly framesSeen: boolean;
  readonly messagesFromClient: number;
  readonly bytesFromClient: number;
  readonly messagesFromUpstream: number;
  readonly bytesFromUpstream: number;
  /** Times reading the client (upstream) was paused for a slow upstream (client); 0 when piped. */
  readonly pausesFromClient: number;
  readonly pausesFromUpstream: number;
  /** Most bytes ever queued towards the upstream (client); 0 when piped. */
  readonly maxQueuedFromClient: number;
  readonly maxQueuedFromUpstream: number;
  readonly closeCode: number | undefined;
  readonly closeReason: string;
  readonly closedBy: WsSide;
  readonly error: { readonly errorType: string; readonly message: string } | undefined;
}

/** What a tunnel reports to its hop. Exactly one of onRefused/onFailed/onOpen is called, unless aborted. */
export interface TunnelEvents {
  /** The upstream answered the upgrade with another status than 101; the hop relays it to the client. */
  onRefused(res: IncomingMessage): void;
  /** The session could not be opened (upstream unreachable, broken handshake, client handshake rejected). */
  onFailed(error: ResponseError): void;
  /** Both connections are WebSockets now. */
  onOpen(negotiated: WsNegotiated): void;
  /** Called once, after both connections closed. */
  onEnd(summary: WsSessionSummary): void;
}

export interface Tunnel {
  /** Close the session from the proxy's side with a close frame where one can be sent (shutdown, idle). */
  close(code: number, reason: string): void;
  /** Cut both connections now (handshake abandoned, drain deadline passed). */
  terminate(): void;
}

/** RFC 6455 §7.4.1: 1000 normal, 1001 going away, 1005 no code given; 3000-4999 belong to applications. */
export function isNormalCloseCode(code: number): boolean {
  return code === 1000 || code === 1001 || code === 1005 || (code >= 3000 && code <= 4999);
}

/** The error a session ended with, from the side that ended it, its close code and its socket error. */
export function sessionError(side: WsSide, closeCode: number | undefined, cause: Error | undefined): WsSessionSummary['error'] {
  if (side === 'proxy') return undefined;
  if (cause !== undefined && isWsProtocolError(cause)) return new WsProtocolError(side, { cause });
  if (cause !== undefined || closeCode === 1006) return side === 'client' ? new WsClientGoneError({ cause }) : new WsUpstreamGoneError({ cause });
  if (closeCode !== undefined && !isNormalCloseCode(closeCode)) {
    return { errorType: String(closeCode), message: `the ${side} closed the WebSocket with code ${closeCode}` };
  }
  return undefined;
}

/** `ws` names every protocol violation it detects `WS_ERR_*`. */
function isWsProtocolError(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && code.startsWith('WS_ERR_');
}
