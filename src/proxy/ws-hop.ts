/**
 * One WebSocket upgrade through the proxy, start to finish:
 *
 *   'upgrade' → match a route (same table and rules as HTTP) → extract the trace context → SERVER span
 *            → no route: 404; a handshake no WebSocket server would accept: 400; draining: 503
 *            → CLIENT span → upstream handshake headers (client's minus hop-by-hop, trace headers injected,
 *              X-Forwarded-* added) → open the upstream connection:
 *                traced (sampled) session: relayed message by message through `ws` (ws-relay.ts)
 *                untraced session: piped byte for byte (ws-pipe.ts), faster and nothing to record
 *            → upstream refuses (non-101): its answer reaches the client as it is
 *            → upstream unreachable or broken handshake: 502; no answer within timeoutMs: 504
 *            → 101: handshake spans end; a session span, child of the SERVER span, runs to the close.
 *
 * There is no ServerResponse after Node's 'upgrade' event: every answer is written to the raw socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type Attributes, type Context, type Span, type Tracer, TraceFlags } from '@opentelemetry/api';
import { ClientAbortedError, NoHealthyUpstreamError, ProxyDrainingError, RouteNotFoundError, UpstreamTimeoutError, WsHandshakeInvalidError, type ResponseError } from '../errors.js';
import type { Route } from '../routing/route-table.js';
import type { Target } from '../routing/balance.js';
import { TRACE_RESPONSE_HEADER } from '../tracing/attributes.js';
import { contextWith, describeClientSpan, markError, recordClientStatus, recordServerStatus, startClientSpan } from '../tracing/hop-spans.js';
import { recordSetter } from '../tracing/propagation.js';
import { headerAttributes } from '../tracing/capture.js';
import { endSessionSpan, startSessionSpan } from '../tracing/ws-spans.js';
import { forwardedPath, openServerSpan, requestTarget, routeFor, type HopRuntime } from './http-hop.js';
import { relayUpstreamAnswer, type HeaderPairs } from './raw-response.js';
import { respondErrorOnSocket } from './respond-error.js';
import type { WsAcceptors } from './ws-accept.js';
import { ClientWatch } from './ws-client-watch.js';
import { clientHandshakeProblem, upstreamHandshakeHeaders, upstreamResponseHeaders } from './ws-headers.js';
import { openPipe } from './ws-pipe.js';
import { openRelay, upstreamUrl } from './ws-relay.js';
import type { Tunnel, TunnelEvents, WsNegotiated, WsSessionSummary } from './ws-session.js';
import type { WsSessions } from './ws-sessions.js';

/** What WebSocket hops share for the life of the proxy server (not of a config). */
export interface WsHopContext {
  readonly acceptors: WsAcceptors;
  readonly sessions: WsSessions;
}

const UPGRADE_METHOD = 'GET';

export class WsHop implements TunnelEvents {
  private readonly startedAt = performance.now();
  private route: Route | undefined;
  private target: Target | undefined;
  private tracer!: Tracer;
  private serverSpan!: Span;
  private serverContext!: Context;
  private clientSpan: Span | undefined;
  private responseHeaders: HeaderPairs = [];
  private tunnel: Tunnel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private phase: 'handshake' | 'answering' | 'open' | 'done' = 'handshake';
  private status = 0;
  private errorType: string | undefined;
  private upstreamAnsweredAt: number | undefined;
  private path = '';
  private sessionSpan: Span | undefined;
  private sessionStartedAt = 0;
  private watch!: ClientWatch;

  constructor(
    private readonly runtime: HopRuntime,
    private readonly context: WsHopContext,
    private readonly req: IncomingMessage,
    private readonly socket: Socket,
    private readonly head: Buffer,
  ) {}

  start(): void {
    const { req, runtime } = this;
    runtime.listener.onHopStart();
    this.watch = new ClientWatch(this.socket, this.head, () => this.onClientGone());
    const method = req.method ?? UPGRADE_METHOD;
    const where = requestTarget(req);
    this.path = where.path;
    const route = routeFor(runtime.table, method, where);
    this.route = route;
    const { query, requestHeaders } = this.startServerSpan(method, where);

    if (route === undefined) return this.onFailed(new RouteNotFoundError());
    const problem = clientHandshakeProblem(req);
    if (problem !== undefined) return this.onFailed(new WsHandshakeInvalidError(problem));
    if (this.context.sessions.draining) return this.onFailed(new ProxyDrainingError());
    // An absolute-form target names its own host, which replaces the Host header upstream (as for HTTP).
    if (where.authority !== undefined) req.headers.host = where.authority;
    const path = forwardedPath(route, where.path);
    this.connect(route, path + where.search, path + (query === undefined ? '' : `?${query}`), requestHeaders);
  }

  /** The SERVER span, as the HTTP hop starts it (openServerSpan); its traceresponse goes with the 101. */
  private startServerSpan(method: string, where: ReturnType<typeof requestTarget>): { query?: string; requestHeaders?: Attributes } {
    const opened = openServerSpan(this.runtime, this.req, method, where, this.route);
    this.tracer = opened.tracer;
    this.serverSpan = opened.serverSpan;
    this.serverContext = opened.serverContext;
    if (opened.traceResponse !== undefined) this.responseHeaders = [[TRACE_RESPONSE_HEADER, opened.traceResponse]];
    return { query: opened.query, requestHeaders: opened.requestHeaders };
  }

  /** `path` goes upstream; `recordedPath` is the same with the query as the capture policy redacted it. */
  private connect(route: Route, path: string, recordedPath: string, requestHeaders: Attributes | undefined): void {
    const target = route.balancer.next();
    if (target === undefined) return this.onFailed(new NoHealthyUpstreamError());
    this.target = target;
    this.clientSpan = startClientSpan(this.tracer, this.serverContext, UPGRADE_METHOD, route.httpRoute);
    if (this.clientSpan.isRecording()) {
      describeClientSpan(this.clientSpan, {
        method: UPGRADE_METHOD,
        url: upstreamUrl(target, recordedPath),
        serverAddress: target.hostname,
        serverPort: target.port,
        peerService: route.config.peerService,
      });
      if (requestHeaders !== undefined) this.clientSpan.setAttributes(requestHeaders);
    }
    // Only a recorded session needs its frames seen; an unsampled one is piped (see ws-pipe.ts).
    const relayed = this.serverSpan.isRecording();
    const headers = upstreamHandshakeHeaders(this.req, !relayed);
    this.runtime.tracing.propagator.inject(contextWith(this.serverContext, this.clientSpan), headers, recordSetter);
    this.timer = setTimeout(() => this.onTimeout(), route.config.timeoutMs);
    const options = {
      req: this.req,
      socket: this.socket,
      target,
      path,
      headers,
      responseHeaders: this.responseHeaders,
      idleTimeoutMs: route.config.wsIdleTimeoutMs,
      takeHead: () => this.watch.takeHead(),
    };
    this.tunnel = relayed ? openRelay(this.context.acceptors, options, this) : openPipe(options, this);
  }

  onRefused(res: IncomingMessage): void {
    if (this.phase !== 'handshake') return;
    this.phase = 'answering';
    this.upstreamAnswered();
    this.status = res.statusCode ?? 0;
    recordClientStatus(this.clientSpan!, this.status);
    this.captureResponseHeaders(res);
    this.clientSpan!.end();
    relayUpstreamAnswer(this.socket, res, [...upstreamResponseHeaders(res, true), ...this.responseHeaders]);
    res.once('close', () => this.endHandshake());
  }

  onFailed(error: ResponseError): void {
    if (this.phase !== 'handshake') return;
    this.clearTimer();
    // Connection failures and timeouts count towards the target's ejection, as for HTTP.
    if (this.target !== undefined && error.status >= 502) this.route!.balancer.report(this.target, false);
    this.status = error.status;
    this.errorType = error.errorType;
    respondErrorOnSocket(this.socket, error, this.responseHeaders, this.serverSpan, this.clientSpan);
    this.clientSpan?.end();
    this.endHandshake();
  }

  onOpen(negotiated: WsNegotiated): void {
    if (this.phase !== 'handshake') return;
    this.phase = 'open';
    this.upstreamAnswered();
    this.status = 101;
    recordClientStatus(this.clientSpan!, this.status);
    this.captureResponseHeaders(negotiated.response);
    this.clientSpan!.end();
    this.sessionStartedAt = performance.now();
    this.sessionSpan = startSessionSpan(this.tracer, this.serverContext, {
      routeName: this.route!.name,
      httpRoute: this.route!.httpRoute,
      path: this.path,
      subprotocol: negotiated.subprotocol,
      extensions: negotiated.extensions,
    });
    this.endHandshake();
    this.context.sessions.add(this.tunnel!);
    this.runtime.listener.onSessionStart?.();
  }

  onEnd(summary: WsSessionSummary): void {
    this.context.sessions.delete(this.tunnel!);
    endSessionSpan(this.sessionSpan!, summary);
    const span = this.serverSpan.spanContext();
    this.runtime.listener.onSessionEnd?.({
      route: this.route!.name,
      service: this.route!.service,
      path: this.path,
      upstream: this.target!.url,
      durationMs: performance.now() - this.sessionStartedAt,
      framesSeen: summary.framesSeen,
      messagesFromClient: summary.messagesFromClient,
      bytesFromClient: summary.bytesFromClient,
      messagesFromUpstream: summary.messagesFromUpstream,
      bytesFromUpstream: summary.bytesFromUpstream,
      closeCode: summary.closeCode,
      closedBy: summary.closedBy,
      errorType: summary.error?.errorType,
      traceId: span.traceId,
      sampled: (span.traceFlags & TraceFlags.SAMPLED) !== 0,
    });
  }

  private onTimeout(): void {
    this.timer = undefined;
    this.tunnel?.terminate();
    this.onFailed(new UpstreamTimeoutError(this.route!.config.timeoutMs));
  }

  /** During the handshake the client leaving abandons it; afterwards the session watches the socket. */
  private onClientGone(): void {
    if (this.phase !== 'handshake') return;
    this.phase = 'done';
    this.clearTimer();
    this.tunnel?.terminate();
    this.socket.destroy();
    const aborted = new ClientAbortedError();
    this.errorType = aborted.errorType;
    markError(this.serverSpan, aborted.errorType, aborted.message);
    if (this.clientSpan !== undefined) {
      markError(this.clientSpan, aborted.errorType, aborted.message);
      this.clientSpan.end();
    }
    this.status = 0;
    this.serverSpan.end();
    this.report();
  }

  /** The client gets the upstream's headers, so both spans record the ones the route lists. */
  private captureResponseHeaders(res: IncomingMessage): void {
    const attributes = headerAttributes(this.route!.capture.responseHeaders, res.headers);
    if (attributes === undefined) return;
    this.clientSpan!.setAttributes(attributes);
    this.serverSpan.setAttributes(attributes);
  }

  private upstreamAnswered(): void {
    this.clearTimer();
    this.route!.balancer.report(this.target!, true);
    this.upstreamAnsweredAt = performance.now();
  }

  /** The client has its answer (101, the upstream's refusal, or ours): the SERVER span ends. */
  private endHandshake(): void {
    if (this.phase === 'done') return;
    if (this.phase !== 'open') this.phase = 'done';
    if (this.errorType === undefined) recordServerStatus(this.serverSpan, this.status);
    this.serverSpan.end();
    this.report();
  }

  private report(): void {
    const context = this.serverSpan.spanContext();
    this.runtime.listener.onHopEnd({
      route: this.route?.name,
      service: this.route?.service ?? this.runtime.defaultService,
      method: this.req.method ?? UPGRADE_METHOD,
      path: this.path,
      status: this.status,
      durationMs: performance.now() - this.startedAt,
      upstreamDurationMs: this.upstreamAnsweredAt === undefined ? undefined : this.upstreamAnsweredAt - this.startedAt,
      upstream: this.target?.url,
      bytesIn: 0,
      bytesOut: 0,
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
