/**
 * One `Tracing` per config: a tracer per service name (each with its own resource, so Zipkin's
 * localEndpoint and OTLP's resource both name the route's service), all feeding the same span processors,
 * plus the propagator. Nothing here is global: two apps in one process do not share tracer state.
 */
import type { TextMapPropagator, Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/types.js';
import { ATTR_SERVICE_NAME } from './attributes.js';
import { createPropagator } from './propagation.js';
import { createSampler } from './sampler.js';

export interface Tracing {
  readonly config: TracingConfig;
  readonly propagator: TextMapPropagator;
  tracerFor(service: string): Tracer;
}

const TRACER_NAME = 'hoptrace';
/** Caps what one span may hold, so a hostile request cannot blow up span size. */
const SPAN_LIMITS = { attributeCountLimit: 64, attributeValueLengthLimit: 1024, eventCountLimit: 32, linkCountLimit: 8 };

export function createTracing(config: TracingConfig, processors: readonly SpanProcessor[]): Tracing {
  const sampler = createSampler(config.sampleRate);
  const tracers = new Map<string, Tracer>();
  return {
    config,
    propagator: createPropagator(config.propagation),
    tracerFor(service) {
      let tracer = tracers.get(service);
      if (tracer === undefined) {
        const provider = new BasicTracerProvider({
          resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
          sampler,
          spanLimits: SPAN_LIMITS,
          spanProcessors: [...processors],
        });
        tracer = provider.getTracer(TRACER_NAME);
        tracers.set(service, tracer);
      }
      return tracer;
    },
  };
}
