/**
 * Sends one attempt of a request upstream and hands the answer back, on node:http directly. It owns the
 * keep-alive agents. A request may be forwarded more than once (retries, proxy/retry.ts): each attempt is
 * one ClientRequest carrying its own handlers, so an event of an abandoned attempt never reaches the next.
 *
 * The proxy sits on every request's path, so an attempt does the least the protocol asks for:
 * - the upstream request's headers are one flat `[name, value, …]` list built in a single pass over the
 *   arrived headers (already cleaned of hop-by-hop and trace headers by the hop), with X-Forwarded-* and the
 *   attempt's trace headers added; Node writes such a list as it is, instead of storing every header
 *   through setHeader's per-call validation and bookkeeping;
 * - a request without a body is ended at once instead of piped;
 * - the answer's headers go to the client the same way, with the status line, in one writeHead.
 * This is what http-proxy's passes do for a reverse proxy (X-Forwarded-*, Host kept, a zero Content-Length
 * for a bodiless DELETE or OPTIONS, the response copied as is), at about half the CPU per request;
 * bench/results.md has the figures.
 *
 * HTTPS upstreams get an agent per (host name, CA bundle), built when the route table is, so that:
 * - SNI and the certificate check name the upstream's host. The client's Host header is passed through,
 *   and Node's agent derives `servername` from the Host header when none is set, which would let a client
 *   choose the name the upstream's certificate is checked against. The agent's own options win over the
 *   request's, so `servername` set on the agent always holds (no SNI for an IP address, as RFC 6066
 *   requires; the certificate is then checked against the IP).
 * - a route's `upstreamCa` is trusted besides Node's bundled public roots, through one secure context
 *   built once, instead of a CA list parsed again for every new connection.
 * - certificates are always verified (`rejectUnauthorized`).
 */
import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Target } from '../routing/balance.js';
import { FORWARDED_HEADER_NAMES, forwardedValues } from './forwarded-headers.js';
import { declaresNoBody } from './hop-headers.js';
import { lookupUpstream } from './upstream-lookup.js';

/** What a hop does at each step of one forwarding attempt. */
export interface ForwardHandlers {
  /** The upstream request exists (it may still wait for an agent socket). */
  onProxyRequest(proxyReq: ClientRequest): void;
  /**
   * The upstream answered; its headers are not copied to the client yet, and what the hop leaves in
   * `proxyRes.headers` is what the client gets. Returning false drops the answer: its body is drained and
   * nothing of it reaches the client (a retry follows, or the hop answered already).
   */
  onProxyResponse(proxyRes: IncomingMessage): boolean | void;
  /** The upstream request failed (or the client's request stream did). */
  onProxyError(error: Error): void;
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
   */
  forward(req: IncomingMessage, res: ServerResponse, target: Target, handlers: ForwardHandlers, extraHeaders?: readonly string[]): void;
  /** The agent for https upstreams on `hostname`, trusting the PEM bundle `ca` too when given. */
  httpsAgent(hostname: string, ca: string | undefined): http.Agent;
  sockets(): UpstreamSockets;
  close(): void;
}

export const AGENT_OPTIONS = {
  keepAlive: true,
  keepAliveMsecs: 1_000,
  maxSockets: 1_024, // per upstream; bounds connections a burst can open
  maxFreeSockets: 256,
  scheduling: 'lifo', // reuse the warmest sockets, let the rest time out
  timeout: 60_000, // idle upstream sockets are closed after a minute
  lookup: lookupUpstream, // the system resolver, but `.invalid` names fail at once (RFC 6761)
} as const;

const ATTEMPT = Symbol('hoptrace.attempt');
interface Attempt {
  readonly res: ServerResponse;
  readonly handlers: ForwardHandlers;
}
type AttemptRequest = ClientRequest & { [ATTEMPT]: Attempt };

const FORWARDED = new Set<string>(FORWARDED_HEADER_NAMES);
/** Methods whose bodiless requests get an explicit `content-length: 0`, which some servers insist on. */
const ZERO_LENGTH_METHODS = new Set(['DELETE', 'OPTIONS']);

export function createForwarder(): Forwarder {
  const httpAgent = new http.Agent(AGENT_OPTIONS);
  // Kept across reloads so connections survive them; one entry per host name and CA ever configured.
  const httpsAgents = new Map<string, https.Agent>();
  const httpsAgent = (hostname: string, ca: string | undefined): https.Agent => {
    const key = `${hostname}\n${ca ?? ''}`;
    let agent = httpsAgents.get(key);
    if (agent === undefined) {
      agent = new https.Agent({
        ...AGENT_OPTIONS,
        servername: isIP(hostname) === 0 ? hostname : '',
        rejectUnauthorized: true,
        ...(ca === undefined ? {} : { secureContext: createSecureContext({ ca: [...rootCertificates, ca] }) }),
      });
      httpsAgents.set(key, agent);
    }
    return agent;
  };

  return {
    forward(req, res, target, handlers, extraHeaders) {
      const https_ = target.protocol === 'https:';
      // Targets built by the app carry their agent; one built without falls back to a lookup.
      const agent = target.agent ?? (https_ ? httpsAgent(target.hostname, undefined) : httpAgent);
      const method = req.method ?? 'GET';
      const bodiless = declaresNoBody(req.headers);
      let proxyReq: ClientRequest;
      try {
        proxyReq = (https_ ? https.request : http.request)({
          host: target.hostname,
          port: target.port,
          method,
          path: target.basePath + (req.url ?? '/'),
          headers: upstreamHeaders(req, target, method, bodiless, extraHeaders),
          agent,
        });
      } catch (error) {
        // http.request throws at once on what it cannot send (a path or header value it rejects):
        // an answer for the client, never an exception out of the request handler.
        handlers.onProxyError(error as Error);
        return;
      }
      (proxyReq as AttemptRequest)[ATTEMPT] = { res, handlers };
      proxyReq.on('response', onResponse);
      proxyReq.on('error', onRequestError);
      handlers.onProxyRequest(proxyReq);
      if (bodiless) proxyReq.end();
      else {
        req.on('error', (error) => handlers.onProxyError(error));
        req.pipe(proxyReq);
      }
    },
    httpsAgent,
    sockets() {
      let active = countSockets(httpAgent.sockets);
      let idle = countSockets(httpAgent.freeSockets);
      for (const agent of httpsAgents.values()) {
        active += countSockets(agent.sockets);
        idle += countSockets(agent.freeSockets);
      }
      return { active, idle };
    },
    close() {
      httpAgent.destroy();
      for (const agent of httpsAgents.values()) agent.destroy();
    },
  };
}

function onRequestError(this: AttemptRequest, error: Error): void {
  this[ATTEMPT].handlers.onProxyError(error);
}

/** Copies the upstream's answer to the client, unless the hop drops it or has answered already. */
function onResponse(this: AttemptRequest, proxyRes: IncomingMessage): void {
  const { res, handlers } = this[ATTEMPT];
  if (handlers.onProxyResponse(proxyRes) === false) {
    proxyRes.resume(); // drained, so the keep-alive socket goes back to the agent
    return;
  }
  if (res.writableEnded || res.destroyed) {
    proxyRes.destroy();
    return;
  }
  if (!res.headersSent) {
    try {
      res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, appendHeaders([], proxyRes.headers, undefined));
    } catch (error) {
      // A status text or header the upstream's parser let through but the client side rejects: the answer
      // cannot be relayed.
      proxyRes.destroy();
      handlers.onProxyError(error as Error);
      return;
    }
  }
  proxyRes.pipe(res);
}

/** The upstream request's headers as one flat list; see the file comment. */
function upstreamHeaders(req: IncomingMessage, target: Target, method: string, bodiless: boolean, extra: readonly string[] | undefined): string[] {
  const headers = req.headers;
  const list = appendHeaders([], headers, FORWARDED);
  // An HTTP/1.0 request may come without Host; the upstream's own authority stands in.
  if (headers.host === undefined) list.push('host', target.authority);
  const forwarded = forwardedValues(req);
  for (let i = 0; i < FORWARDED_HEADER_NAMES.length; i += 1) list.push(FORWARDED_HEADER_NAMES[i]!, forwarded[i]!);
  if (bodiless && headers['content-length'] === undefined && ZERO_LENGTH_METHODS.has(method)) list.push('content-length', '0');
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

function countSockets(byName: NodeJS.ReadOnlyDict<unknown[]>): number {
  let count = 0;
  for (const name in byName) count += byName[name]?.length ?? 0;
  return count;
}
