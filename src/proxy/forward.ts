/**
 * The only file that touches http-proxy. It owns the keep-alive agents and routes http-proxy's
 * server-wide events back to the attempt they belong to, so the rest of the proxy deals in one object per
 * upstream request. http-proxy is always given an error callback: without one it rethrows and takes the
 * process down.
 *
 * HTTPS upstreams get an agent per (host name, CA bundle), built when the route table is, so that:
 * - SNI and the certificate check name the upstream's host. http-proxy passes the client's Host header
 *   through, and Node's agent derives `servername` from the Host header when none is set, which would let
 *   a client choose the name the upstream's certificate is checked against. The agent's own options win
 *   over the request's, so `servername` set on the agent always holds (no SNI for an IP address, as RFC
 *   6066 requires; the certificate is then checked against the IP).
 * - a route's `upstreamCa` is trusted besides Node's bundled public roots, through one secure context
 *   built once, instead of a CA list parsed again for every new connection.
 * - certificates are always verified (`rejectUnauthorized`).
 *
 * A request may be forwarded more than once (retries, proxy/retry.ts). Each call gets its own handlers,
 * carried on that call's options and then on its upstream request, so an event of an abandoned attempt
 * never reaches the next one. The upstream's answer is handed over by us rather than by http-proxy
 * (`selfHandleResponse`), so that a hop can drop an answer it will retry before the client sees any of it;
 * the copy to the client uses http-proxy's own outgoing passes, so what the client gets is unchanged.
 */
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import httpProxy from 'http-proxy';
import webOutgoing from 'http-proxy/lib/http-proxy/passes/web-outgoing.js';
import type { Target } from '../routing/balance.js';
import { lookupUpstream } from './upstream-lookup.js';

/** What a hop does at each step of one forwarding attempt. */
export interface ForwardHandlers {
  /** The upstream request exists and its headers are not sent yet. */
  onProxyRequest(proxyReq: ClientRequest): void;
  /**
   * The upstream answered; its headers are not copied to the client yet. Returning false drops the answer:
   * its body is drained and nothing of it reaches the client (a retry follows, or the hop answered already).
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
  /** `headers` are added to the request's own for this attempt (the trace headers of its CLIENT span). */
  forward(req: IncomingMessage, res: ServerResponse, target: Target, handlers: ForwardHandlers, headers?: Record<string, string>): void;
  /** The agent for https upstreams on `hostname`, trusting the PEM bundle `ca` too when given. */
  httpsAgent(hostname: string, ca: string | undefined): http.Agent;
  sockets(): UpstreamSockets;
  close(): void;
}

/** A string key: http-proxy copies per-call options with util._extend, which skips symbols. */
const HANDLERS_OPTION = 'hoptraceHandlers';
const REQUEST_HANDLERS = Symbol('hoptrace.forwardHandlers');
const ORIGINAL_FORWARDED = Symbol('hoptrace.originalForwardedHeaders');
type ForwardOptions = httpProxy.ServerOptions & { [HANDLERS_OPTION]: ForwardHandlers };
type TaggedUpstreamRequest = ClientRequest & { [REQUEST_HANDLERS]?: ForwardHandlers };
type TaggedRequest = IncomingMessage & {
  [REQUEST_HANDLERS]?: ForwardHandlers;
  [ORIGINAL_FORWARDED]?: Array<string | string[] | undefined>;
};

/** http-proxy appends to these on every call (its `xfwd` pass); a retry must start from what arrived. */
const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-forwarded-host'] as const;
const OUTGOING_PASSES = Object.values(webOutgoing);
const NO_REWRITES = {};

export const AGENT_OPTIONS = {
  keepAlive: true,
  keepAliveMsecs: 1_000,
  maxSockets: 1_024, // per upstream; bounds connections a burst can open
  maxFreeSockets: 256,
  scheduling: 'lifo', // reuse the warmest sockets, let the rest time out
  timeout: 60_000, // idle upstream sockets are closed after a minute
  lookup: lookupUpstream, // the system resolver, but `.invalid` names fail at once (RFC 6761)
} as const;

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
  const proxy = httpProxy.createProxyServer({ xfwd: true, ws: false, selfHandleResponse: true });

  proxy.on('proxyReq', (proxyReq, _req, _res, options) => {
    const handlers = (options as ForwardOptions)[HANDLERS_OPTION];
    (proxyReq as TaggedUpstreamRequest)[REQUEST_HANDLERS] = handlers;
    handlers.onProxyRequest(proxyReq);
  });
  proxy.on('proxyRes', (proxyRes, req, res) => {
    // http-proxy skips 'proxyReq' for requests with an Expect header; those fall back to the latest call.
    const upstreamRequest = (proxyRes as IncomingMessage & { req?: TaggedUpstreamRequest }).req;
    const handlers = upstreamRequest?.[REQUEST_HANDLERS] ?? (req as TaggedRequest)[REQUEST_HANDLERS];
    respond(proxyRes, req, res as ServerResponse, handlers);
  });
  // http-proxy reports a client that hung up as 'econnreset' instead of calling back; the hop sees the
  // client leave through the response's 'close' event, so nothing is needed here but a listener.
  proxy.on('econnreset', () => {});

  return {
    forward(req, res, target, handlers, headers) {
      const tagged = req as TaggedRequest;
      tagged[REQUEST_HANDLERS] = handlers;
      if (tagged[ORIGINAL_FORWARDED] === undefined) tagged[ORIGINAL_FORWARDED] = FORWARDED_HEADERS.map((name) => req.headers[name]);
      else restoreForwardedHeaders(req, tagged[ORIGINAL_FORWARDED]);
      const options: ForwardOptions = {
        // http-proxy's typings want a URL string or object; the pre-parsed form saves a parse per request.
        target: target.proxyTarget as unknown as httpProxy.ProxyTargetUrl,
        // Targets built by the app carry their agent; one built without falls back to a lookup.
        agent: target.agent ?? (target.protocol === 'https:' ? httpsAgent(target.hostname, undefined) : httpAgent),
        [HANDLERS_OPTION]: handlers,
        ...(headers === undefined ? {} : { headers }),
      };
      try {
        proxy.web(req, res, options, (error) => handlers.onProxyError(error));
      } catch (error) {
        // http.request throws at once on what it cannot send (a path or header value it rejects):
        // an answer for the client, never an exception out of the request handler.
        handlers.onProxyError(error as Error);
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
      proxy.close();
      httpAgent.destroy();
      for (const agent of httpsAgents.values()) agent.destroy();
    },
  };
}

/** Copies the upstream's answer to the client, unless the hop drops it or has answered already. */
function respond(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse, handlers: ForwardHandlers | undefined): void {
  if (handlers?.onProxyResponse(proxyRes) === false) {
    proxyRes.resume(); // drained, so the keep-alive socket goes back to the agent
    return;
  }
  if (res.writableEnded || res.destroyed) {
    proxyRes.destroy();
    return;
  }
  try {
    if (!res.headersSent) for (const pass of OUTGOING_PASSES) pass(req, res, proxyRes, NO_REWRITES);
  } catch (error) {
    // A header the upstream's parser let through but the client side rejects: the answer cannot be relayed.
    proxyRes.destroy();
    handlers?.onProxyError(error as Error);
    return;
  }
  proxyRes.pipe(res);
}

function restoreForwardedHeaders(req: IncomingMessage, original: ReadonlyArray<string | string[] | undefined>): void {
  FORWARDED_HEADERS.forEach((name, index) => {
    const value = original[index];
    if (value === undefined) delete req.headers[name];
    else req.headers[name] = value as string;
  });
}

function countSockets(byName: NodeJS.ReadOnlyDict<unknown[]>): number {
  let count = 0;
  for (const name in byName) count += byName[name]?.length ?? 0;
  return count;
}
