/**
 * Header rules of a WebSocket handshake through the proxy. The upstream's handshake request carries the
 * client's headers minus hop-by-hop and stale trace headers, plus X-Forwarded-* built as the HTTP path
 * builds them (forwarded-headers.ts), so an upstream sees the same shape for an upgrade as for any request on
 * the route. `Upgrade` and `Connection` are hop-by-hop too, but a handshake needs them: the pipe path sets them
 * afresh, and the `ws` client of the relay path writes its own along with its own Sec-WebSocket-Key/Version.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { INCOMING_TRACE_HEADERS, TRACE_RESPONSE_HEADER } from '../tracing/attributes.js';
import { FORWARDED_HEADER_NAMES, forwardedValues } from './forwarded-headers.js';
import { connectionTokens } from './hop-headers.js';

export const SEC_WEBSOCKET_KEY_HEADER = 'sec-websocket-key';
export const SEC_WEBSOCKET_VERSION_HEADER = 'sec-websocket-version';
export const SEC_WEBSOCKET_PROTOCOL_HEADER = 'sec-websocket-protocol';
export const SEC_WEBSOCKET_EXTENSIONS_HEADER = 'sec-websocket-extensions';
export const SEC_WEBSOCKET_ACCEPT_HEADER = 'sec-websocket-accept';
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'transfer-encoding', 'trailer']);
/** Written by the `ws` client itself on the relay path; passed through untouched on the pipe path. */
const WS_OWN_HEADERS = new Set([SEC_WEBSOCKET_KEY_HEADER, SEC_WEBSOCKET_VERSION_HEADER, SEC_WEBSOCKET_PROTOCOL_HEADER, SEC_WEBSOCKET_EXTENSIONS_HEADER]);
const TRACE_HEADERS = new Set(INCOMING_TRACE_HEADERS);
/** A handshake forwards no body, so a length header would make the upstream wait for one. */
const BODY_HEADERS = new Set(['content-length']);
/** Headers of a 101 that belong to the handshake itself; `ws` writes its own to the client. */
const HANDSHAKE_RESPONSE_HEADERS = new Set([SEC_WEBSOCKET_ACCEPT_HEADER, SEC_WEBSOCKET_PROTOCOL_HEADER, SEC_WEBSOCKET_EXTENSIONS_HEADER]);
/** RFC 6455 §4.1: base64 of 16 bytes. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** RFC 9110 token, what a subprotocol name must be. */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/;

export type HandshakeHeaders = Record<string, string>;

/**
 * The upstream handshake's headers. `keepWebSocketHeaders` keeps the client's Sec-WebSocket-* (the pipe path,
 * where the client and the upstream negotiate directly) and sets Connection/Upgrade.
 */
export function upstreamHandshakeHeaders(req: IncomingMessage, keepWebSocketHeaders: boolean): HandshakeHeaders {
  const from = req.headers;
  const named = namedByConnection(from.connection);
  const headers: HandshakeHeaders = {};
  for (const name in from) {
    const value = from[name];
    if (value === undefined || HOP_BY_HOP.has(name) || TRACE_HEADERS.has(name) || BODY_HEADERS.has(name)) continue;
    if (named.has(name) || (!keepWebSocketHeaders && WS_OWN_HEADERS.has(name))) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (keepWebSocketHeaders) {
    headers.connection = 'Upgrade';
    headers.upgrade = 'websocket';
  }
  const forwarded = forwardedValues(req);
  FORWARDED_HEADER_NAMES.forEach((name, index) => (headers[name] = forwarded[index]!));
  return headers;
}

/**
 * The upstream's response headers worth repeating to the client, as `[name, value]` pairs in the order and
 * case the upstream sent them: hop-by-hop ones and its own `traceresponse` (ours names this hop) removed.
 * With `handshakeToo` false the 101's own handshake headers are removed as well, for `ws` to write its own.
 */
export function upstreamResponseHeaders(res: IncomingMessage, handshakeToo: boolean): Array<[string, string]> {
  const named = namedByConnection(res.headers.connection);
  const raw = res.rawHeaders;
  const kept: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || lower === TRACE_RESPONSE_HEADER) continue;
    if (!handshakeToo && HANDSHAKE_RESPONSE_HEADERS.has(lower)) continue;
    kept.push([name, raw[i + 1]!]);
  }
  return kept;
}

/**
 * What is wrong with the client's handshake, checked before anything goes upstream: the same checks a `ws`
 * server makes (it accepts versions 13 and 8), so a request the client side would refuse never reaches the
 * upstream. Undefined when it is fine.
 */
export function clientHandshakeProblem(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return 'the method must be GET';
  const key = req.headers[SEC_WEBSOCKET_KEY_HEADER];
  if (key === undefined || !KEY.test(key)) return 'missing or invalid Sec-WebSocket-Key';
  const version = req.headers[SEC_WEBSOCKET_VERSION_HEADER];
  if (version !== '13' && version !== '8') return 'missing or unsupported Sec-WebSocket-Version';
  const protocols = offeredSubprotocols(req.headers);
  if (protocols.some((name) => !TOKEN.test(name)) || new Set(protocols).size !== protocols.length) {
    return 'invalid Sec-WebSocket-Protocol';
  }
  return undefined;
}

/** Whether Node's 'upgrade' event carries a WebSocket handshake (and not, say, h2c). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.headers.upgrade?.trim().toLowerCase() === 'websocket';
}

/** The client's offered subprotocols, in its order (`ws` validates each token when it connects). */
export function offeredSubprotocols(headers: IncomingHttpHeaders): string[] {
  const value = headers[SEC_WEBSOCKET_PROTOCOL_HEADER];
  if (value === undefined) return [];
  return value.split(',').map((token) => token.trim());
}

/** Whether the client offered permessage-deflate (any parameters); the relay then offers it upstream. */
export function offersPerMessageDeflate(headers: IncomingHttpHeaders): boolean {
  const value = headers[SEC_WEBSOCKET_EXTENSIONS_HEADER];
  if (value === undefined) return false;
  return value.split(',').some((offer) => offer.split(';')[0]!.trim().toLowerCase() === PERMESSAGE_DEFLATE);
}

/** The names a Connection header lists, as a set. */
function namedByConnection(connection: string | undefined): Set<string> {
  return new Set(connection === undefined ? [] : connectionTokens(connection));
}
