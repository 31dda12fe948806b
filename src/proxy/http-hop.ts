/**
 * One HTTP request through the proxy, start to finish:
 *
 *   arrive → match a route → extract the incoming trace context → SERVER span
 *          → no route: 404, nothing forwarded
 *          → CLIENT span → clean headers, inject trace headers → forward (http-proxy)
 *          → upstream answers: status on the CLIENT span, headers cleaned, body streamed back
 *          → or fails: 502 (refused, reset, DNS, TLS) or 504 (no answer within timeoutMs)
 *          → the response's last byte (or the client hanging up) ends the SERVER span and the record.
 *
 * A hop is a class because it has a lifecycle with several ends that race (upstream error, timeout, client
 * hang-up, normal finish); each end runs once. Everything per-route (matchers, targets, tracers) was
 * built with the route table, so this path does no parsing or lookups beyond the match itself.
 */
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ROOT_CONTEXT, type Context, type Span, TraceFlags } from '@opentelemetry/api';
import { ClientAbortedError, RouteNotFoundError, UpstreamTimeoutError, type ResponseError } from '../errors.js';
import type { Route, RouteTable } from '../routing/route-table.js';
import type { Target } from '../routing/balance.js';
import { hostWithoutPort } from '../routing/match.js';
import type { Tracing } from '../tracing/tracing.js';
import { TRACE_RESPONSE_HEADER } from '../tracing/attributes.js';
import { contextWith, markError, recordClientStatus, recordServerStatus, startClientSpan, startServerSpan } from '../tracing/hop-spans.js';
import { formatTraceParent, headersGetter, outgoingSetter } from '../tracing/propagation.js';
import { serverLinks, serverParent } from '../tracing/trust.js';
import { headerAttributes, NO_CAPTURE, redactQuery } from '../tracing/capture.js';
import type { Forwarder, ForwardHandlers } from './forward.js';
import { cleanOutgoingHeaders, cleanResponseHeaders } from './hop-headers.js';
import type { HopListener } from './hop-record.js';
import { respondError, upstreamErrorFor } from './respond-error.js';

/** Everything a hop needs, built once per config. A reload swaps the whole object. */
export interface HopRuntime {
  readonly table: RouteTable;
  readonly tracing: Tracing;
  readonly forwarder: Forwarder;
  readonly listener: HopListener;
  /** Service name of spans for requests that match no route. */
  readonly defaultService: string;
}

interface RequestTarget {
  readonly host: string;
  readonly path: string;
  /** `?…` or ''. */
  readonly search: string;
  /** Set for an absolute-form target: its `host[:port]`, which replaces the Host header upstream. */
  readonly authority?: string;
}

export class HttpHop implements ForwardHandlers {
  private readonly startedAt = performance.now();
  private readonly bytesOutAtStart: number;
  private route: Route | undefined;
  private target: Target | undefined;
  private serverSpan!: Span;
  private serverContext!: Context;
  private clientSpan: Span | undefined;
  private proxyReq: ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  private clientDone = false;
  private upstreamEndedAt: number | undefined;
  private errorType: string | undefined;
  private path = '';

  constructor(
    private readonly runtime: HopRuntime,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.bytesOutAtStart = req.socket.bytesWritten;
  }

  start(): void {
    const { req, res, runtime } = this;
    runtime.listener.onHopStart();
    res.once('close', () => this.onResponseClose());

    const method = req.method ?? 'GET';
    const where = requestTarget(req);
    this.path = where.path;
    const route = runtime.table.match(method, where.host, where.path);
    this.route = route;

    const { tracer, trustIncomingContext } = runtime.tracing.forRoute(route?.config);
    const incoming = runtime.tracing.propagator.extract(ROOT_CONTEXT, req.headers, headersGetter);
    const parent = serverParent(incoming, trustIncomingContext);
    const isTls = (req.socket as TLSSocket).encrypted === true;
    // SPEC §3: no header value unless the route lists it, no query value unless listed (capture.ts).
    const capture = route?.capture ?? NO_CAPTURE;
    const query = redactQuery(where.search, capture.queryParams);
    const requestHeaders = headerAttributes(capture.requestHeaders, req.headers);
    this.serverSpan = startServerSpan(tracer, parent, {
      method,
      path: where.path,
      scheme: isTls ? 'https' : 'http',
      serverAddress: where.host || req.socket.localAddress || '',
      serverPort: hostPort(req.headers.host) ?? req.socket.localPort,
      clientAddress: req.socket.remoteAddress,
      userAgent: req.headers['user-agent'],
      protocolVersion: req.httpVersion,
      routeName: route?.name,
      httpRoute: route?.httpRoute,
      links: serverLinks(incoming, trustIncomingContext),
      query,
    });
    if (requestHeaders !== undefined) this.serverSpan.setAttributes(requestHeaders);
    this.serverContext = contextWith(parent, this.serverSpan);
    // W3C Trace Context Level 2 `traceresponse`: the trace and SERVER span this request belongs to.
    const traceResponse = runtime.tracing.config.traceResponse ? formatTraceParent(this.serverContext) : undefined;
    if (traceResponse !== undefined) res.setHeader(TRACE_RESPONSE_HEADER, traceResponse);

    if (route === undefined) {
      this.fail(new RouteNotFoundError());
      return;
    }

    const target = route.balancer.next();
    this.target = target;
    this.clientSpan = startClientSpan(tracer, this.serverContext, {
      method,
      httpRoute: route.httpRoute,
      url: `${target.protocol}//${target.hostname}:${target.port}${target.basePath}${forwardedPath(route, where.path)}${query === undefined ? '' : `?${query}`}`,
      serverAddress: target.hostname,
      serverPort: target.port,
      peerService: route.config.peerService,
    });
    if (requestHeaders !== undefined) this.clientSpan.setAttributes(requestHeaders);
    if (where.authority !== undefined) req.headers.host = where.authority;
    if (route.config.stripPrefix || where.authority !== undefined) req.url = forwardedPath(route, where.path) + where.search;
    this.timer = setTimeout(() => this.onTimeout(), route.config.timeoutMs);
    runtime.forwarder.forward(req, res, target, this);
  }

  onProxyRequest(proxyReq: ClientRequest): void {
    this.proxyReq = proxyReq;
    cleanOutgoingHeaders(proxyReq, this.req.headers);
    this.runtime.tracing.propagator.inject(contextWith(this.serverContext, this.clientSpan!), proxyReq, outgoingSetter);
  }

  onProxyResponse(proxyRes: IncomingMessage): void {
    this.clearTimer();
    const clientSpan = this.clientSpan!;
    recordClientStatus(clientSpan, proxyRes.statusCode ?? 0);
    cleanResponseHeaders(proxyRes.headers);
    // The client gets the upstream's headers, so both spans record the listed ones.
    const responseHeaders = headerAttributes(this.route!.capture.responseHeaders, proxyRes.headers);
    if (responseHeaders !== undefined) {
      clientSpan.setAttributes(responseHeaders);
      this.serverSpan.setAttributes(responseHeaders);
    }
    // Our traceresponse names this hop's trace; the upstream's own would name a trace the client is not in.
    if (this.runtime.tracing.config.traceResponse) delete proxyRes.headers[TRACE_RESPONSE_HEADER];
    proxyRes.once('end', () => {
      this.upstreamEndedAt = performance.now();
      clientSpan.end();
    });
    // The upstream cut its response short: the client must see a cut too, not a hang.
    proxyRes.once('aborted', () => this.onUpstreamAborted());
    proxyRes.once('error', () => this.onUpstreamAborted());
  }

  onProxyError(error: Error): void {
    this.clearTimer();
    if (this.clientDone || this.req.socket.destroyed) return; // the client left; onResponseClose ends the hop
    this.fail(this.timedOut ? new UpstreamTimeoutError(this.route!.config.timeoutMs) : upstreamErrorFor(error));
  }

  private onTimeout(): void {
    this.timer = undefined;
    this.timedOut = true;
    if (this.proxyReq !== undefined) this.proxyReq.destroy();
    else this.fail(new UpstreamTimeoutError(this.route!.config.timeoutMs));
  }

  private onUpstreamAborted(): void {
    if (this.clientDone || this.res.writableFinished || this.clientSpan === undefined) return;
    const error = upstreamErrorFor(new Error('upstream response aborted'));
    this.errorType = error.errorType;
    markError(this.clientSpan, error.errorType, error.message);
    markError(this.serverSpan, error.errorType, error.message);
    this.clientSpan.end();
    this.res.destroy();
  }

  /** Answers the client with `error`'s status and marks both spans; the CLIENT span ends here. */
  private fail(error: ResponseError): void {
    this.errorType = error.errorType;
    respondError(this.res, error, this.serverSpan, this.clientSpan);
    this.clientSpan?.end();
  }

  private onResponseClose(): void {
    this.clientDone = true;
    this.clearTimer();
    // When fail() or onUpstreamAborted() ran, the status and the named error.type are recorded already.
    if (this.errorType === undefined) {
      if (this.res.writableFinished) recordServerStatus(this.serverSpan, this.res.statusCode);
      else this.onClientAborted();
    }
    this.serverSpan.end();
    this.report();
  }

  /**
   * The client hung up first: not the upstream's failure (no retry, no upstream error count), but both
   * spans end as errors and the upstream request is abandoned.
   */
  private onClientAborted(): void {
    const aborted = new ClientAbortedError();
    this.errorType = aborted.errorType;
    markError(this.serverSpan, aborted.errorType, aborted.message);
    if (this.clientSpan !== undefined && this.upstreamEndedAt === undefined) {
      markError(this.clientSpan, aborted.errorType, aborted.message);
      this.clientSpan.end();
    }
    this.proxyReq?.destroy();
  }

  private report(): void {
    const { req, res, route, serverSpan } = this;
    const context = serverSpan.spanContext();
    const now = performance.now();
    this.runtime.listener.onHopEnd({
      route: route?.name,
      service: route?.service ?? this.runtime.defaultService,
      method: req.method ?? 'GET',
      path: this.path,
      status: res.headersSent ? res.statusCode : 0,
      durationMs: now - this.startedAt,
      upstreamDurationMs: this.upstreamEndedAt === undefined ? undefined : this.upstreamEndedAt - this.startedAt,
      upstream: this.target?.url,
      bytesIn: Number(req.headers['content-length'] ?? 0) || 0,
      bytesOut: req.socket.bytesWritten - this.bytesOutAtStart,
      errorType: this.errorType,
      traceId: context.traceId,
      spanId: context.spanId,
      sampled: (context.traceFlags & TraceFlags.SAMPLED) !== 0,
    });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

/**
 * Host and path of the request. An absolute-form target (`GET http://host/path`) names its own host,
 * which wins over the Host header (RFC 9112 §3.2.2).
 */
function requestTarget(req: IncomingMessage): RequestTarget {
  const url = req.url ?? '/';
  if (url.charCodeAt(0) !== 0x2f /* / */ && /^https?:\/\//i.test(url)) {
    try {
      const parsed = new URL(url);
      return { host: parsed.hostname.toLowerCase(), path: parsed.pathname, search: parsed.search, authority: parsed.host };
    } catch {
      // not a URL after all: matched as an opaque path below
    }
  }
  const query = url.indexOf('?');
  return {
    host: hostWithoutPort(req.headers.host),
    path: query === -1 ? url : url.slice(0, query),
    search: query === -1 ? '' : url.slice(query),
  };
}

function forwardedPath(route: Route, path: string): string {
  if (!route.config.stripPrefix || route.config.match.pathPrefix === undefined) return path;
  const rest = path.slice(route.config.match.pathPrefix.length);
  return rest === '' ? '/' : rest;
}

function hostPort(host: string | undefined): number | undefined {
  if (host === undefined) return undefined;
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.indexOf(']', colon) !== -1) return undefined;
  const port = Number(host.slice(colon + 1));
  return Number.isInteger(port) ? port : undefined;
}
