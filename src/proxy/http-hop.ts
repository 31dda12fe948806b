/**
 * One HTTP request through the proxy, start to finish:
 *
 *   arrive → match a route → extract the incoming trace context → SERVER span
 *          → no route: 404 (400 for a target that is not a path or an http(s) URL), nothing forwarded
 *          → no healthy target (all ejected, routing/outlier.ts): 503, nothing forwarded
 *          → attempt: CLIENT span → clean headers, inject trace headers → forward (undici, forward.ts)
 *          → upstream answers: status on the CLIENT span, hop-by-hop headers dropped, body streamed back, each
 *            silence in the body bounded by timeoutMs (then the connection is cut: 'response_stalled')
 *          → or fails: 502 (refused, reset, DNS, TLS) or 504 (no answer within timeoutMs)
 *          → a failed attempt the route retries (proxy/retry.ts) ends its CLIENT span and starts the next
 *            attempt, on another target when there is one, with `http.request.resend_count`
 *          → the response's last byte (or the client hanging up) ends the SERVER span and the record.
 *
 * A hop is a class because it has a lifecycle with several ends that race (upstream error, timeout, client
 * hang-up, normal finish); each end runs once. Everything per-route (matchers, targets, tracers) was
 * built with the route table, so this path does no parsing or lookups beyond the match itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type Attributes, type Context, type Span, TraceFlags, type Tracer } from '@opentelemetry/api';
import {
  ClientAbortedError,
  MalformedRequestError,
  NoHealthyUpstreamError,
  RouteNotFoundError,
  UpstreamResetError,
  UpstreamStalledError,
  UpstreamTimeoutError,
  type ResponseError,
} from '../errors.js';
import type { Route, RouteTable } from '../routing/route-table.js';
import type { Target } from '../routing/balance.js';
import { hostWithoutPort } from '../routing/match.js';
import type { Tracing } from '../tracing/tracing.js';
import { ATTR_HTTP_REQUEST_RESEND_COUNT, TRACE_RESPONSE_HEADER } from '../tracing/attributes.js';
import { EMPTY_CONTEXT } from '../tracing/context.js';
import {
  contextWith,
  describeClientSpan,
  describeServerSpan,
  markError,
  recordClientStatus,
  recordServerStatus,
  startClientSpan,
  startServerSpan,
} from '../tracing/hop-spans.js';
import { formatTraceParent, headersGetter, listSetter } from '../tracing/propagation.js';
import { serverLinks, serverParent } from '../tracing/trust.js';
import { headerAttributes, NO_CAPTURE, redactQuery } from '../tracing/capture.js';
import type { Forwarder, ForwardHandlers, UpstreamAttempt, UpstreamResponse } from './forward.js';
import { stripRequestHeaders } from './hop-headers.js';
import type { HopListener } from './hop-record.js';
import type { HopCounter } from './hop-counter.js';
import type { InFlightLinks } from './in-flight.js';
import { respondError, upstreamErrorFor } from './respond-error.js';
import { isReplayable, isUnavailableStatus, retriesFailure, retriesStatus } from './retry.js';

/** Everything a hop needs, built once per config. A reload swaps the whole object. */
export interface HopRuntime {
  readonly table: RouteTable;
  readonly tracing: Tracing;
  readonly forwarder: Forwarder;
  readonly listener: HopListener;
  /** Service name of spans for requests that match no route. */
  readonly defaultService: string;
  /** Hops running on this runtime; a replaced runtime's exporters are shut down once it has none. */
  readonly hops: HopCounter;
}

interface RequestTarget {
  readonly host: string;
  readonly path: string;
  /** `?…` or ''. */
  readonly search: string;
  /** Set for an absolute-form target: its `host[:port]`, which replaces the Host header upstream. */
  readonly authority?: string;
  /** An absolute-form target naming another host than the Host header: only a route naming it may take it. */
  readonly foreign?: boolean;
  /** Neither origin-form nor an http(s) absolute URL (`*`, `ftp://x`, `evil:443`): answered 400. */
  readonly malformed?: boolean;
}

export class HttpHop implements InFlightLinks<HttpHop> {
  /** The proxy's list of requests in flight (in-flight.ts). */
  inFlightPrev: HttpHop | undefined;
  inFlightNext: HttpHop | undefined;
  private readonly startedAt = performance.now();
  /** The client's connection. Held here: undici lets go of `req.socket` once it has sent the body upstream. */
  private readonly socket: Socket;
  private readonly bytesOutAtStart: number;
  private route: Route | undefined;
  private target: Target | undefined;
  private tracer!: Tracer;
  private serverSpan!: Span;
  private serverContext!: Context;
  private clientSpan: Span | undefined;
  /** The current attempt; undefined between attempts. */
  private attempt: UpstreamAttempt | undefined;
  /** The current attempt's answer started. */
  private answered = false;
  /**
   * One timer per hop, restarted rather than replaced: until the upstream answers it bounds the attempt
   * (timeoutMs), then each silence in the answer's body (onTimer tells which).
   */
  private timer: NodeJS.Timeout | undefined;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.answered) this.onBodySilence();
    else this.onTimeout();
  };
  private clientDone = false;
  private upstreamEndedAt: number | undefined;
  private errorType: string | undefined;
  private path = '';
  /** The path sent upstream (prefix stripped when the route says so) and the redacted query, for CLIENT spans. */
  private upstreamPathAndQuery = '';
  /** The request headers the route captures, set on every CLIENT span. */
  private requestHeaders: Attributes | undefined;
  /** Attempts started so far; the current one is number `attempts`. */
  private attempts = 0;
  /** Idempotent and without a body: may be sent again (proxy/retry.ts). */
  private replayable = false;
  /** Our `traceresponse` for the client, put in with the answer's headers (undefined when turned off). */
  private traceResponse: string | undefined;

  /** `onEnded` runs once the hop has ended its spans and reported, when the response has closed. */
  constructor(
    readonly runtime: HopRuntime,
    private readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly onEnded?: (hop: HttpHop) => void,
  ) {
    this.socket = req.socket;
    this.bytesOutAtStart = req.socket.bytesWritten;
  }

  start(): void {
    const { req, res, runtime } = this;
    runtime.listener.onHopStart();
    res.once('close', () => this.onResponseClose());

    const method = req.method ?? 'GET';
    const where = requestTarget(req);
    this.path = where.path;
    const route = routeFor(runtime.table, method, where);
    this.route = route;

    const { tracer, serverSpan, serverContext, query, requestHeaders, traceResponse } = openServerSpan(runtime, req, method, where, route);
    this.tracer = tracer;
    this.serverSpan = serverSpan;
    this.serverContext = serverContext;
    this.traceResponse = traceResponse;

    if (route === undefined) {
      this.fail(where.malformed ? new MalformedRequestError() : new RouteNotFoundError());
      return;
    }

    const target = route.balancer.next();
    if (target === undefined) {
      this.fail(new NoHealthyUpstreamError());
      return;
    }
    this.replayable = route.retry !== undefined && isReplayable(req);
    // What the CLIENT spans record; a hop's spans are recorded together or not at all.
    if (serverSpan.isRecording()) this.upstreamPathAndQuery = `${forwardedPath(route, where.path)}${query === undefined ? '' : `?${query}`}`;
    this.requestHeaders = requestHeaders;
    if (where.authority !== undefined) req.headers.host = where.authority;
    if (route.config.stripPrefix || where.authority !== undefined) req.url = forwardedPath(route, where.path) + where.search;
    stripRequestHeaders(req.headers); // after the span read what it records; the attempts copy what is left
    this.startAttempt(target);
  }

  /** Sends the request to `target` under a new CLIENT span, with its own timeoutMs. */
  private startAttempt(target: Target): void {
    const route = this.route!;
    const method = this.req.method ?? 'GET';
    this.attempts += 1;
    this.target = target;
    this.attempt = undefined;
    const clientSpan = startClientSpan(this.tracer, this.serverContext, method, route.httpRoute);
    this.clientSpan = clientSpan;
    if (clientSpan.isRecording()) {
      describeClientSpan(clientSpan, {
        method,
        url: `${target.protocol}//${target.hostname}:${target.port}${target.basePath}${this.upstreamPathAndQuery}`,
        serverAddress: target.hostname,
        serverPort: target.port,
        peerService: route.config.peerService,
      });
      if (this.attempts > 1) clientSpan.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, this.attempts - 1);
      if (this.requestHeaders !== undefined) clientSpan.setAttributes(this.requestHeaders);
    }
    this.answered = false;
    this.armTimer();
    const traceHeaders: string[] = [];
    this.runtime.tracing.propagator.inject(contextWith(this.serverContext, this.clientSpan), traceHeaders, listSetter);
    const number = this.attempts;
    const attempt = this.runtime.forwarder.forward(this.req, this.res, target, this.attemptHandlers(), traceHeaders);
    // An attempt that failed at once may have been retried inside forward(); the newer one is current then.
    if (this.attempts === number) this.attempt = attempt;
  }

  /**
   * The forwarder's callbacks for the attempt being started. Events of an attempt that was abandoned (retried
   * or answered already) are dropped here.
   */
  private attemptHandlers(): ForwardHandlers {
    const attempt = this.attempts;
    const current = (): boolean => attempt === this.attempts && this.errorType === undefined && !this.clientDone;
    return {
      onProxyResponse: (response) => current() && this.onProxyResponse(response),
      onProxyData: () => this.timer?.refresh(),
      onProxyEnd: () => {
        if (attempt === this.attempts) this.onProxyEnd();
      },
      onProxyError: (error) => {
        if (current()) this.onProxyError(error);
      },
      // The upstream cut its answer short: the client must see a cut too, not a hang.
      onProxyCut: () => this.onUpstreamCut(new UpstreamResetError()),
    };
  }

  onProxyResponse(response: UpstreamResponse): boolean {
    const route = this.route!;
    const clientSpan = this.clientSpan!;
    const status = response.statusCode;
    recordClientStatus(clientSpan, status);
    route.balancer.report(this.target!, !isUnavailableStatus(status));
    const retryTarget = retriesStatus(route.retry, this.attempts, status) ? this.retryTarget() : undefined;
    if (retryTarget !== undefined) {
      clientSpan.end();
      this.startAttempt(retryTarget);
      return false; // drained by the forwarder; the client sees only the next attempt's answer
    }
    this.answered = true;
    const headers = response.headers; // without hop-by-hop headers (forward.ts)
    // The client gets the upstream's headers, so both spans record the listed ones.
    const responseHeaders = clientSpan.isRecording() ? headerAttributes(this.route!.capture.responseHeaders, headers) : undefined;
    if (responseHeaders !== undefined) {
      clientSpan.setAttributes(responseHeaders);
      this.serverSpan.setAttributes(responseHeaders);
    }
    // Our traceresponse names this hop's trace; the upstream's own would name a trace the client is not in.
    if (this.traceResponse !== undefined) headers[TRACE_RESPONSE_HEADER] = this.traceResponse;
    // A body that trickles to a stop: each chunk restarts the clock (onProxyData).
    this.armTimer();
    return true;
  }

  /** The answer's last byte arrived; the forwarder ends the client's response next. */
  private onProxyEnd(): void {
    this.clearTimer();
    this.upstreamEndedAt = performance.now();
    this.clientSpan?.end();
  }

  onProxyError(error: Error): void {
    this.clearTimer();
    if (this.clientDone || this.socket.destroyed) return; // the client left; onResponseClose ends the hop
    this.onAttemptFailed(upstreamErrorFor(error));
  }

  private onTimeout(): void {
    // Abandoned, the attempt reports nothing more; it fails here and now, whether it was sent or still waits
    // for a connection.
    this.attempt?.abort();
    this.onAttemptFailed(new UpstreamTimeoutError(this.route!.config.timeoutMs));
  }

  /** The attempt failed before the upstream answered: retry when the route says so, else answer the client. */
  private onAttemptFailed(error: ResponseError): void {
    const route = this.route!;
    route.balancer.report(this.target!, false);
    const retryTarget = retriesFailure(route.retry, this.attempts, error) ? this.retryTarget() : undefined;
    if (retryTarget === undefined) {
      this.fail(error);
      return;
    }
    markError(this.clientSpan!, error.errorType, error.message);
    this.clientSpan!.end();
    this.startAttempt(retryTarget);
  }

  /** Where a retry goes; undefined when this request may not be sent again or no target is healthy. */
  private retryTarget(): Target | undefined {
    if (!this.replayable || this.clientDone || this.res.headersSent) return undefined;
    return this.route!.balancer.next(this.target);
  }

  private onBodySilence(): void {
    // Paused means the pipe waits for a slow client to drain, not that the upstream is silent.
    if (this.attempt?.paused === true) {
      this.armTimer();
      return;
    }
    this.onUpstreamCut(new UpstreamStalledError(this.route!.config.timeoutMs));
  }

  /** The upstream's answer broke off after it started: the client's connection is cut too. */
  private onUpstreamCut(error: ResponseError): void {
    if (this.clientDone || this.res.writableFinished || this.clientSpan === undefined || this.errorType !== undefined) return;
    this.clearTimer();
    this.errorType = error.errorType;
    markError(this.clientSpan, error.errorType, error.message);
    markError(this.serverSpan, error.errorType, error.message);
    this.clientSpan.end();
    this.route!.balancer.report(this.target!, false);
    this.attempt?.abort(); // frees the upstream connection of a stalled answer
    this.res.destroy();
  }

  /**
   * The proxy is stopping and this request outlived drainTimeoutMs: the client gets `error` (503) when
   * nothing of the answer was sent yet, a cut connection otherwise; the upstream request is abandoned.
   */
  cut(error: ResponseError): void {
    if (this.clientDone || this.errorType !== undefined || this.res.writableFinished) return;
    this.clearTimer();
    this.attempt?.abort();
    if (this.upstreamEndedAt !== undefined) this.clientSpan = undefined; // ended with the upstream's answer
    this.fail(error);
  }

  /** Answers the client with `error`'s status and marks both spans; the CLIENT span ends here. */
  private fail(error: ResponseError): void {
    this.errorType = error.errorType;
    if (this.traceResponse !== undefined && !this.res.headersSent) this.res.setHeader(TRACE_RESPONSE_HEADER, this.traceResponse);
    respondError(this.res, error, this.serverSpan, this.clientSpan);
    this.clientSpan?.end();
  }

  private onResponseClose(): void {
    this.clientDone = true;
    this.clearTimer();
    // When fail() or onUpstreamCut() ran, the status and the named error.type are recorded already.
    if (this.errorType === undefined) {
      if (this.res.writableFinished) recordServerStatus(this.serverSpan, this.res.statusCode);
      else this.onClientAborted();
    }
    this.serverSpan.end();
    this.report();
    this.onEnded?.(this);
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
    this.attempt?.abort();
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
      bytesOut: this.socket.bytesWritten - this.bytesOutAtStart,
      errorType: this.errorType,
      traceId: context.traceId,
      spanId: context.spanId,
      sampled: (context.traceFlags & TraceFlags.SAMPLED) !== 0,
    });
  }

  private armTimer(): void {
    if (this.timer === undefined) this.timer = setTimeout(this.onTimer, this.route!.config.timeoutMs);
    else this.timer.refresh();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

export interface OpenedServerSpan {
  readonly tracer: Tracer;
  readonly serverSpan: Span;
  readonly serverContext: Context;
  /** The query as the capture policy records it (undefined when the span is not recorded). */
  readonly query: string | undefined;
  /** The request headers the route captures, as span attributes (undefined when the span is not recorded). */
  readonly requestHeaders: Attributes | undefined;
  /** W3C Trace Context Level 2 `traceresponse` for the client, unless turned off. */
  readonly traceResponse: string | undefined;
}

/**
 * The SERVER span of an arriving request, HTTP or WebSocket alike: the route's tracer and trust, the
 * incoming context extracted, the capture policy applied (SPEC §3: no header value unless the route lists
 * it, no query value unless listed), and the `traceresponse` naming this trace and span.
 */
export function openServerSpan(runtime: HopRuntime, req: IncomingMessage, method: string, where: RequestTarget, route: Route | undefined): OpenedServerSpan {
  const { tracer, trustIncomingContext } = runtime.tracing.forRoute(route?.config);
  const incoming = runtime.tracing.propagator.extract(EMPTY_CONTEXT, req.headers, headersGetter);
  const parent = serverParent(incoming, trustIncomingContext);
  const serverSpan = startServerSpan(tracer, parent, method, route?.httpRoute, serverLinks(incoming, trustIncomingContext));
  let query: string | undefined;
  let requestHeaders: Attributes | undefined;
  if (serverSpan.isRecording()) {
    const capture = route?.capture ?? NO_CAPTURE;
    query = redactQuery(where.search, capture.queryParams);
    requestHeaders = headerAttributes(capture.requestHeaders, req.headers);
    describeServerSpan(serverSpan, {
      method,
      path: where.path,
      scheme: (req.socket as TLSSocket).encrypted === true ? 'https' : 'http',
      serverAddress: where.host || req.socket.localAddress || '',
      serverPort: hostPort(req.headers.host) ?? req.socket.localPort,
      clientAddress: req.socket.remoteAddress,
      userAgent: req.headers['user-agent'],
      protocolVersion: req.httpVersion,
      routeName: route?.name,
      httpRoute: route?.httpRoute,
      query,
    });
    if (requestHeaders !== undefined) serverSpan.setAttributes(requestHeaders);
  }
  const serverContext = contextWith(parent, serverSpan);
  const traceResponse = runtime.tracing.config.traceResponse ? formatTraceParent(serverContext) : undefined;
  return { tracer, serverSpan, serverContext, query, requestHeaders, traceResponse };
}

/**
 * The route for a request target: none for a malformed one, and for an absolute-form target naming
 * another host than the Host header only a route that names that host (SPEC §5: no open proxy).
 */
export function routeFor(table: RouteTable, method: string, where: RequestTarget): Route | undefined {
  if (where.malformed) return undefined;
  return where.foreign ? table.matchNamedHost(method, where.host, where.path) : table.match(method, where.host, where.path);
}

/**
 * Host and path of the request. An absolute-form target (`GET http://host/path`) names its own host,
 * which wins over the Host header (RFC 9112 §3.2.2).
 */
export function requestTarget(req: IncomingMessage): RequestTarget {
  const url = req.url ?? '/';
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    const hostHeader = hostWithoutPort(req.headers.host);
    if (/^https?:\/\//i.test(url)) {
      try {
        const parsed = new URL(url);
        const host = parsed.hostname.toLowerCase();
        // No open proxy (SPEC §5): `GET http://elsewhere/` is not ours unless a route names that host.
        return { host, path: parsed.pathname, search: parsed.search, authority: parsed.host, foreign: host !== hostHeader };
      } catch {
        // not a URL after all: malformed below
      }
    }
    return { host: hostHeader, path: url, search: '', malformed: true };
  }
  const query = url.indexOf('?');
  return {
    host: hostWithoutPort(req.headers.host),
    path: query === -1 ? url : url.slice(0, query),
    search: query === -1 ? '' : url.slice(query),
  };
}

export function forwardedPath(route: Route, path: string): string {
  if (!route.config.stripPrefix || route.config.match.pathPrefix === undefined) return path;
  const rest = path.slice(route.config.match.pathPrefix.length);
  return rest === '' ? '/' : rest;
}

export function hostPort(host: string | undefined): number | undefined {
  if (host === undefined) return undefined;
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.indexOf(']', colon) !== -1) return undefined;
  const port = Number(host.slice(colon + 1));
  return Number.isInteger(port) ? port : undefined;
}
