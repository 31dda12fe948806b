/**
 * The only file that touches http-proxy. It owns the keep-alive agents and routes http-proxy's
 * server-wide events back to the hop they belong to, so the rest of the proxy deals in one object per
 * request. http-proxy is always given an error callback: without one it rethrows and takes the process down.
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
 */
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import httpProxy from 'http-proxy';
import type { Target } from '../routing/balance.js';

/** What a hop does at each step of forwarding. */
export interface ForwardHandlers {
  /** The upstream request exists and its headers are not sent yet. */
  onProxyRequest(proxyReq: ClientRequest): void;
  /** The upstream answered; its headers are not copied to the client yet. */
  onProxyResponse(proxyRes: IncomingMessage): void;
  /** The upstream request failed (or the client's request stream did). */
  onProxyError(error: Error): void;
}

export interface Forwarder {
  forward(req: IncomingMessage, res: ServerResponse, target: Target, handlers: ForwardHandlers): void;
  /** The agent for https upstreams on `hostname`, trusting the PEM bundle `ca` too when given. */
  httpsAgent(hostname: string, ca: string | undefined): http.Agent;
  close(): void;
}

const HANDLERS = Symbol('hoptrace.forwardHandlers');
type TaggedRequest = IncomingMessage & { [HANDLERS]?: ForwardHandlers };

export const AGENT_OPTIONS = {
  keepAlive: true,
  keepAliveMsecs: 1_000,
  maxSockets: 1_024, // per upstream; bounds connections a burst can open
  maxFreeSockets: 256,
  scheduling: 'lifo', // reuse the warmest sockets, let the rest time out
  timeout: 60_000, // idle upstream sockets are closed after a minute
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
  const proxy = httpProxy.createProxyServer({ xfwd: true, ws: false });

  proxy.on('proxyReq', (proxyReq, req) => (req as TaggedRequest)[HANDLERS]?.onProxyRequest(proxyReq));
  proxy.on('proxyRes', (proxyRes, req) => (req as TaggedRequest)[HANDLERS]?.onProxyResponse(proxyRes));
  // http-proxy reports a client that hung up as 'econnreset' instead of calling back; the hop sees the
  // client leave through the response's 'close' event, so nothing is needed here but a listener.
  proxy.on('econnreset', () => {});

  return {
    forward(req, res, target, handlers) {
      (req as TaggedRequest)[HANDLERS] = handlers;
      proxy.web(
        req,
        res,
        {
          // http-proxy's typings want a URL string or object; the pre-parsed form saves a parse per request.
          target: target.proxyTarget as unknown as httpProxy.ProxyTargetUrl,
          // Targets built by the app carry their agent; one built without falls back to a lookup.
          agent: target.agent ?? (target.protocol === 'https:' ? httpsAgent(target.hostname, undefined) : httpAgent),
        },
        (error) => handlers.onProxyError(error),
      );
    },
    httpsAgent,
    close() {
      proxy.close();
      httpAgent.destroy();
      for (const agent of httpsAgents.values()) agent.destroy();
    },
  };
}
