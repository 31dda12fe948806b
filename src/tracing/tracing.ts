/**
 * One `Tracing` per config: a tracer per service name and sampler (each provider with its own resource, so
 * Zipkin's localEndpoint and OTLP's resource both name the route's service), all feeding the same span
 * processors, plus the propagator. Everything a route needs is built here, once per config, so a request
 * does one map lookup for it. Nothing here is global: two apps in one process do not share tracer state.
 */
import type { TextMapPropagator, Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { RouteConfig, TracingConfig } from '../config/types.js';
import { ATTR_SERVICE_NAME } from './attributes.js';
import { createHopTracer } from './hop-tracer.js';
import { createIdGenerator } from './id-generator.js';
import { createPropagator } from './propagation.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { createSampler } from './sampler.js';

/** What a hop of one route (or of no route) needs from tracing. */
export interface RouteTracing {
  readonly tracer: Tracer;
  /** false: the incoming trace is linked, not continued (see trust.ts). */
  readonly trustIncomingContext: boolean;
}

export interface Tracing {
  readonly config: TracingConfig;
  readonly propagator: TextMapPropagator;
  /** The tracer of `service` with the config's own sampler. */
  tracerFor(service: string): Tracer;
  /** The route's tracer (its service, its sampleRate) and trust; `undefined` is for requests that match no route. */
  forRoute(route: RouteConfig | undefined): RouteTracing;
  /** The bucket of `config.maxNewTracesPerSecond`; none when it is 0. */
  readonly newTraceLimiter: RateLimiter | undefined;
}

const SCOPE = { name: 'hoptrace' };
/** Caps what one span may hold, so a hostile request cannot blow up span size. */
const SPAN_LIMITS = { attributeCountLimit: 64, attributeValueLengthLimit: 1024, eventCountLimit: 32, linkCountLimit: 8 };

export interface TracingOptions {
  /** The routes whose tracing is built at once (the others on first use). */
  readonly routes?: readonly RouteConfig[];
  /**
   * The Tracing of the config this one replaces on a reload: while maxNewTracesPerSecond stays the same, its
   * bucket carries over, since a new one starts full and each reload would let a second's worth of extra
   * traces through.
   */
  readonly previous?: Tracing;
  /**
   * This process's share of maxNewTracesPerSecond (1 when absent): 1/N in each of N cluster workers, which
   * take about equal shares of the connections, so that the cap holds for the proxy as a whole.
   */
  readonly rateShare?: number;
}

export function createTracing(config: TracingConfig, processors: readonly SpanProcessor[], options: TracingOptions = {}): Tracing {
  const { routes = [], previous, rateShare = 1 } = options;
  // One bucket for the whole config: the cap bounds what the proxy sends, whatever route the traffic takes.
  const perSecond = config.maxNewTracesPerSecond * rateShare;
  const limiter =
    previous !== undefined && previous.config.maxNewTracesPerSecond === config.maxNewTracesPerSecond
      ? previous.newTraceLimiter
      : perSecond > 0
        ? createRateLimiter(perSecond)
        : undefined;
  const samplers = new Map<number, Sampler>();
  const samplerFor = (sampleRate: number): Sampler => {
    let sampler = samplers.get(sampleRate);
    if (sampler === undefined) {
      sampler = createSampler({ sampleRate, parentBased: config.parentBased, limiter });
      samplers.set(sampleRate, sampler);
    }
    return sampler;
  };

  const ids = createIdGenerator();
  const tracers = new Map<string, Tracer>();
  const tracerWith = (service: string, sampleRate: number): Tracer => {
    const key = `${sampleRate} ${service}`;
    let tracer = tracers.get(key);
    if (tracer === undefined) {
      tracer = createHopTracer({
        resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
        scope: SCOPE,
        sampler: samplerFor(sampleRate),
        limits: SPAN_LIMITS,
        processors: [...processors],
        ids,
      });
      tracers.set(key, tracer);
    }
    return tracer;
  };

  const byRoute = new Map<RouteConfig, RouteTracing>();
  const build = (route: RouteConfig): RouteTracing => {
    const built = { tracer: tracerWith(route.service, route.sampleRate), trustIncomingContext: route.trustIncomingContext };
    byRoute.set(route, built);
    return built;
  };
  for (const route of routes) build(route);
  const noRoute: RouteTracing = {
    tracer: tracerWith(config.serviceName, config.sampleRate),
    trustIncomingContext: config.trustIncomingContext,
  };

  return {
    config,
    propagator: createPropagator(config.propagation),
    tracerFor: (service) => tracerWith(service, config.sampleRate),
    forRoute: (route) => (route === undefined ? noRoute : (byRoute.get(route) ?? build(route))),
    newTraceLimiter: limiter,
  };
}
