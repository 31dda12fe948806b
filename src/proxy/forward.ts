/**
 * Sends one attempt of a request upstream and hands the answer back, on undici's connection pools (one
 * pool of keep-alive connections per upstream origin, kept across reloads). A request may be forwarded more
 * than once (retries, proxy/retry.ts): each attempt is a handler object of its own, so an event of an
 * abandoned attempt never reaches the next.
 *
 * The proxy sits on every request's path, so an attempt does the least the protocol asks for:
 * - undici's dispatch interface: no stream objects per request on the upstream side (node:http makes a
 *   ClientRequest and an IncomingMessage per request, and a pipe between streams); the answer's body
 *   chunks are written to the client as they arrive, with backpressure (a full client socket pauses the
 *   upstream connection's parser). Two minimal proxies on the benchmark's machine, each using a full core:
 *   undici's dispatch answered 1.3x the requests/s of http.request with a keep-alive agent.
 * - the upstream request's headers are one flat `[name, value, …]` list built in a single pass over the
 *   arrived headers (already cleaned of hop-by-hop and trace headers by the hop), with X-Forwarded-* and the
 *   attempt's trace headers added;
 * - a request without a body is sent without one instead of piped. undici sends no `content-length: 0` for
 *   a method that does not anticipate content (RFC 9110 §8.6); without it and without Transfer-Encoding the
 *   request has none (RFC 9112 §6.3), so a bodiless DELETE means the same to the upstream either way;
 * - the answer's headers go to the client the same way, with the status line, in one writeHead.
 * The answer's headers are read from the raw bytes as latin1, as node:http does, so a header value that is
 * not ASCII reaches the client byte for byte; undici's newer handler interface decodes them as UTF-8, which
 * is why this uses the raw one. A header the upstream repeats stays repeated.
 *
 * HTTPS upstreams get a pool per (host name, CA bundle), built when the route table is, so that:
 * - SNI and the certificate check name the upstream's host. The client's Host header is passed through,
 *   and undici derives the TLS server name from the Host header unless the request names one, which would
 *   let a client choose the name the upstream's certificate is checked against (and, with mixed Host
 *   headers, close the pool's connections at every change). Each request names the target's host, and the
 *   connector ignores what it is given: the name is the target's (no SNI for an IP address, as RFC 6066
 *   requires; the certificate is then checked against the IP).
 * - a route's `upstreamCa` is trusted besides Node's bundled public roots, through one secure context
 *   built once, instead of a CA list parsed again for every new connection.
 * - certificates are always verified (`rejectUnauthorized`).
 * The hop owns every deadline (timeoutMs for an answer, then for each silence in its body), so undici's
 * own header, body and connect timeouts are off.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { Target, TargetTransport } from '../routing/balance.js';
import { FORWARDED_HEADER_NAMES, forwardedValues } from './forwarded-headers.js';
import { connectionTokens, declaresNoBody, RESPONSE_HOP_BY_HOP } from './hop-headers.js';
import { lookupUpstream } from './upstream-lookup.js';

/** The upstream's answer as the hop sees it, before anything of it is copied to the client. */
export interface UpstreamResponse {
  readonly statusCode: number;
  readonly statusMessage: string;
  /**
   * Lower-case names, hop-by-hop headers already left out; a header the upstream repeated is an array of its
   * values. What the hop leaves here is what the client gets.
   */
  readonly headers: IncomingHttpHeaders;
}

/** One attempt in flight, as the hop holds it. */
export interface UpstreamAttempt {
  /** The client reads slower than the upstream answers: the body waits for the client, not for the upstream. */
  readonly paused: boolean;
  /** Abandons the attempt: its connection is closed and no handler runs for it again. */
  abort(): void;
}

/** What a hop does at each step of one forwarding attempt. */
export interface ForwardHandlers {
  /**
   * The upstream answered; its headers are not copied to the client yet. Returning false drops the answer:
   * its body is drained and nothing of it reaches the client (a retry follows, or the hop answered already).
   */
  onProxyResponse(response: UpstreamResponse): boolean | void;
  /** A chunk of the answer's body was passed on to the client. */
  onProxyData(): void;
  /** The answer's body ended; the client's response is ended right after. */
  onProxyEnd(): void;
  /** The attempt failed before the answer started (or the client's request stream did). */
  onProxyError(error: Error): void;
  /** The answer broke off after it started (connection reset, body shorter than its Content-Length). */
  onProxyCut(error: Error): void;
}

export interface UpstreamSockets {
  /** Carrying a request right now. */
  readonly active: number;
  /** Kept open for reuse (keep-alive). */
  readonly idle: number;
}

export interface Forwarder {
  /**
   * Sends `req` (its headers as the hop left them, its URL after the target's base path) to `target`.
   * `extraHeaders` (`[name, value, …]`) are added for this attempt only: the trace headers of its CLIENT span.
   * Handlers may run before this returns (a request undici refuses to send fails at once).
   */
  forward(req: IncomingMessage, res: ServerResponse, target: Target, handlers: ForwardHandlers, extraHeaders?: readonly string[]): UpstreamAttempt;
  /** The transport for https upstreams on `hostname`, trusting the PEM bundle `ca` too when given. */
  httpsTransport(hostname: string, ca: string | undefined): TargetTransport;
  sockets(): UpstreamSockets;
  close(): void;
}

const POOL_OPTIONS = {
  connections: 1_024, // per upstream origin; bounds the connections a burst can open
  pipelining: 1, // one request at a time per connection, as upstreams behind a proxy expect
  // Idle connections close after the upstream's own Keep-Alive hint (less a margin), or after 4 s
  // without one, before a server that closes idle connections silently can race a reused one.
  keepAliveTimeout: 4_000,
  headersTimeout: 0, // the hop's deadlines (see the file comment)
  bodyTimeout: 0,
} as const;

const CONNECT_OPTIONS = {
  lookup: lookupUpstream, // the system resolver, but `.invalid` names fail at once (RFC 6761)
  timeout: 0, // a connection that never opens fails the attempt by the hop's timeoutMs
} as const;

/**
 * Not copied from the client's request: undici frames the body itself (chunked when the length is not
 * known) and refuses these names; the client's `Expect: 100-continue` was answered by this proxy already.
 */
const FRAMED = new Set<string>([...FORWARDED_HEADER_NAMES, 'transfer-encoding', 'expect']);
const ABANDONED = new Error('attempt abandoned by the proxy');

export function createForwarder(): Forwarder {
  const httpPools = new Agent({ ...POOL_OPTIONS, connect: CONNECT_OPTIONS });
  const httpTransport: TargetTransport = { dispatcher: httpPools };
  // Kept across reloads so connections survive them; one entry per host name and CA ever configured.
  const httpsTransports = new Map<string, TargetTransport & { readonly dispatcher: Agent }>();
  const httpsTransport = (hostname: string, ca: string | undefined): TargetTransport => {
    const key = `${hostname}\n${ca ?? ''}`;
    let transport = httpsTransports.get(key);
    if (transport === undefined) {
      const secureContext: SecureContext | undefined = ca === undefined ? undefined : createSecureContext({ ca: [...rootCertificates, ca] });
      const connector = buildConnector({
        ...CONNECT_OPTIONS,
        rejectUnauthorized: true,
        ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
        ...(secureContext === undefined ? {} : { secureContext }),
      } as buildConnector.BuildOptions);
      // The name undici passes is the request's; the target's own (set above) is the one that counts.
      const connect: buildConnector.connector = (options, callback) => connector({ ...options, servername: undefined }, callback);
      transport = { dispatcher: new Agent({ ...POOL_OPTIONS, connect }), ...(secureContext === undefined ? {} : { secureContext }) };
      httpsTransports.set(key, transport);
    }
    return transport;
  };

  return {
    forward(req, res, target, handlers, extraHeaders) {
      // Targets built by the app carry their transport; one built without falls back to a shared one.
      const transport = target.transport ?? (target.protocol === 'https:' ? httpsTransport(target.hostname, undefined) : httpTransport);
      const method = req.method ?? 'GET';
      const bodiless = declaresNoBody(req.headers);
      const attempt = new Attempt(res, handlers);
      const options: Dispatcher.DispatchOptions & { readonly servername: string } = {
        origin: target.origin,
        path: target.basePath + (req.url ?? '/'),
        method,
        headers: upstreamHeaders(req, target, extraHeaders),
        body: bodiless ? null : req,
        servername: target.hostname, // a request option undici reads but does not declare; see the file comment
      };
      transport.dispatcher.dispatch(options, attempt);
      return attempt;
    },
    httpsTransport,
    sockets() {
      let active = 0;
      let idle = 0;
      for (const agent of [httpPools, ...[...httpsTransports.values()].map((transport) => transport.dispatcher)]) {
        const pools = agent.stats;
        for (const origin in pools) {
          const pool = pools[origin]!;
          if (!('free' in pool)) continue; // a single-connection client; the agents here make pools
          active += pool.connected - pool.free;
          idle += pool.free;
        }
      }
      return { active, idle };
    },
    close() {
      void httpPools.destroy().catch(() => {});
      for (const transport of httpsTransports.values()) void transport.dispatcher.destroy().catch(() => {});
    },
  };
}

/**
 * One attempt: undici's handler for the request. It copies the answer to the client unless the hop drops
 * it, and tells the hop of each step; after abort(), once the hop dropped the answer, or once the attempt
 * is over, it tells nothing more. Letting go of the client's response and of the hop is how it knows: an
 * answer's body that arrives after that is read and thrown away, which keeps the connection reusable.
 */
class Attempt implements UpstreamAttempt, Dispatcher.DispatchHandler {
  paused = false;
  /** Undefined once the attempt is over or abandoned. */
  private res: ServerResponse | undefined;
  private handlers: ForwardHandlers | undefined;
  /** The answer started (status and headers arrived). */
  private answered = false;
  private abortRequest: ((error?: Error) => void) | undefined;
  private resumeBody: (() => void) | undefined;
  /** Made the first time the client's socket is full, not for every attempt. */
  private onDrain: (() => void) | undefined;

  constructor(res: ServerResponse, handlers: ForwardHandlers) {
    this.res = res;
    this.handlers = handlers;
  }

  abort(): void {
    if (this.handlers === undefined) return;
    this.release();
    // A request still waiting for a connection has no abort yet: it is aborted when it gets one (onConnect).
    this.abortRequest?.(ABANDONED);
  }

  onConnect(abort: (error?: Error) => void): void {
    if (this.handlers === undefined) abort(ABANDONED);
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    const { handlers, res } = this;
    if (statusCode < 200 || handlers === undefined || res === undefined) return true; // 1xx answers are not relayed
    this.answered = true;
    this.resumeBody = resume;
    const response: UpstreamResponse = { statusCode, statusMessage: statusText, headers: headersOf(rawHeaders) };
    if (handlers.onProxyResponse(response) === false) {
      this.release();
      return true;
    }
    if (res.writableEnded || res.destroyed) {
      this.abort();
      return false;
    }
    if (!res.headersSent) {
      try {
        res.writeHead(statusCode, statusText, appendHeaders([], response.headers, undefined));
      } catch (error) {
        // A status text or header the upstream's parser let through but the client side rejects: the answer
        // cannot be relayed.
        this.abort();
        handlers.onProxyError(error as Error);
        return false;
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    const { handlers, res } = this;
    if (handlers === undefined || res === undefined) return true; // dropped or abandoned: read and thrown away
    handlers.onProxyData();
    if (res.write(chunk)) return true;
    this.paused = true;
    res.once(
      'drain',
      (this.onDrain ??= () => {
        this.paused = false;
        this.resumeBody?.();
      }),
    );
    return false;
  }

  onComplete(): void {
    const { handlers, res } = this;
    if (handlers === undefined || res === undefined) return;
    this.release();
    handlers.onProxyEnd();
    res.end();
  }

  onError(error: Error): void {
    const handlers = this.handlers;
    if (handlers === undefined) return;
    this.release();
    if (this.answered) handlers.onProxyCut(error);
    else handlers.onProxyError(error);
  }

  private release(): void {
    this.res = undefined;
    this.handlers = undefined;
    this.resumeBody = undefined;
  }
}

/**
 * The answer's raw header lines as an object: names lower-cased, values latin1 (see the file comment), and
 * hop-by-hop headers left out (hop-headers.ts) as they are read rather than deleted after: a deleted key
 * turns the object into a slow dictionary for every later access, and most upstreams send `Connection` and
 * `Keep-Alive`.
 */
function headersOf(raw: readonly Buffer[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  let named: string[] | undefined; // what Connection headers list besides the standard hop-by-hop names
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    if (RESPONSE_HOP_BY_HOP.has(name)) {
      if (name === 'connection') {
        for (const listed of connectionTokens(raw[i + 1]!.toString('latin1'))) if (!RESPONSE_HOP_BY_HOP.has(listed)) (named ??= []).push(listed);
      }
      continue;
    }
    if (name === '__proto__') continue; // not a header anyone sends; would reach the object's prototype
    const value = raw[i + 1]!.toString('latin1');
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (typeof seen === 'string') headers[name] = [seen, value];
    else seen.push(value);
  }
  if (named !== undefined) for (const name of named) delete headers[name];
  return headers;
}

/** The upstream request's headers as one flat list; see the file comment. */
function upstreamHeaders(req: IncomingMessage, target: Target, extra: readonly string[] | undefined): string[] {
  const headers = req.headers;
  const list = appendHeaders([], headers, FRAMED);
  // An HTTP/1.0 request may come without Host; the upstream's own authority stands in.
  if (headers.host === undefined) list.push('host', target.authority);
  const forwarded = forwardedValues(req);
  for (let i = 0; i < FORWARDED_HEADER_NAMES.length; i += 1) list.push(FORWARDED_HEADER_NAMES[i]!, forwarded[i]!);
  if (extra !== undefined) for (const item of extra) list.push(item);
  return list;
}

/** `headers` pushed onto `list` as name, value, …, except the names in `skip`; a repeated header stays repeated. */
function appendHeaders(list: string[], headers: IncomingHttpHeaders, skip: ReadonlySet<string> | undefined): string[] {
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || skip?.has(name) === true) continue;
    if (typeof value === 'string') list.push(name, value);
    else for (const item of value) list.push(name, item);
  }
  return list;
}
