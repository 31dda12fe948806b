/**
 * The only file that touches http-proxy. It owns the keep-alive agents and routes http-proxy's
 * server-wide events back to the hop they belong to, so the rest of the proxy deals in one object per
 * request. http-proxy is always given an error callback: without one it rethrows and takes the process down.
 */
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
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
  const httpsAgent = new https.Agent(AGENT_OPTIONS);
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
          agent: target.protocol === 'https:' ? httpsAgent : httpAgent,
        },
        (error) => handlers.onProxyError(error),
      );
    },
    close() {
      proxy.close();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
