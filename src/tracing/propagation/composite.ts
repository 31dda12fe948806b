/**
 * The propagator of a config's `tracing.propagation`: one propagator per format (tracecontext.ts, b3.ts,
 * jaeger.ts), combined with @opentelemetry/core's CompositePropagator.
 *
 * Injection is the library's: every configured format is written, each from the same span context (the
 * CLIENT span's), so the upstream sees one trace id and one parent id whatever it reads.
 *
 * Extraction is not: CompositePropagator runs every extractor over the result of the one before, so the
 * LAST format that finds something wins. Here the formats are tried in the configured order and the first
 * one that yields a valid span context wins; the others are not consulted. When none does, a B3 "deny"
 * (b3.ts) found on the way is kept, so the request is not sampled. A request carrying a W3C
 * traceparent and a conflicting B3 header thus follows whichever format the config lists first.
 */
import { type Context, isSpanContextValid, type TextMapGetter, type TextMapPropagator, trace } from '@opentelemetry/api';
import { CompositePropagator } from '@opentelemetry/core';
import type { PropagationFormat } from '../../config/types.js';
import { createB3Propagator, SAMPLING_DENIED_KEY } from './b3.js';
import { createJaegerPropagator } from './jaeger.js';
import { createTraceContextPropagator, TRACE_ID_RANDOM_KEY } from './tracecontext.js';

export class FirstValidPropagator extends CompositePropagator {
  constructor(private readonly formats: readonly TextMapPropagator[]) {
    super({ propagators: [...formats] });
  }

  override extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let denied = false;
    for (const format of this.formats) {
      const extracted = format.extract(context, carrier, getter);
      if (extracted === context) continue;
      const spanContext = trace.getSpanContext(extracted);
      if (spanContext === undefined || !isSpanContextValid(spanContext)) {
        denied ||= extracted.getValue(SAMPLING_DENIED_KEY) === true;
        continue;
      }
      // Only a W3C traceparent can declare its trace id random (Level 2 flag 0x02); B3 and Jaeger ids make no claim.
      return extracted.getValue(TRACE_ID_RANDOM_KEY) === undefined ? extracted.setValue(TRACE_ID_RANDOM_KEY, false) : extracted;
    }
    return denied ? context.setValue(SAMPLING_DENIED_KEY, true) : context;
  }
}

export function createPropagator(formats: readonly PropagationFormat[]): TextMapPropagator {
  return new FirstValidPropagator(formats.map(propagatorFor));
}

function propagatorFor(format: PropagationFormat): TextMapPropagator {
  switch (format) {
    case 'tracecontext':
      return createTraceContextPropagator();
    case 'b3':
      return createB3Propagator();
    case 'jaeger':
      return createJaegerPropagator();
  }
}
