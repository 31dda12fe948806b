/**
 * A Tracer for the proxy's own spans that does what sdk-trace-base's Tracer and Span do, with less work per
 * span: the SDK copies and re-validates every attribute map twice (`sanitizeAttributes`, then `setAttribute`
 * per key), reads two clocks and builds several `[seconds, nanos]` arrays per span, and fans out through a
 * MultiSpanProcessor. Here a span keeps one clock reading (performance.now) per end and converts to
 * `HrTime` only when an exporter asks.
 *
 * Same contract as the SDK (sdk-trace Tracer.ts and Span.ts, 2.x): the sampler decides with the same
 * arguments; a NOT_RECORD decision gives a non-recording span that still carries ids for propagation;
 * a recorded span is a ReadableSpan for every SpanProcessor and exporter (InMemorySpanExporter, OTLP,
 * Zipkin); span limits hold (attribute count and value length, event and link count, oldest event or link
 * dropped first); setStatus ignores UNSET and anything after OK; nothing changes after end().
 */
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { SamplingDecision, type ReadableSpan, type Sampler, type SpanProcessor, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { IdGenerator } from './id-generator.js';
import { HopSpanContext, isValidSpanContext } from './span-context.js';

export interface SpanLimits {
  readonly attributeCountLimit: number;
  readonly attributeValueLengthLimit: number;
  readonly eventCountLimit: number;
  readonly linkCountLimit: number;
}

export interface HopTracerOptions {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly sampler: Sampler;
  readonly processors: readonly SpanProcessor[];
  readonly limits: SpanLimits;
  readonly ids: IdGenerator;
}

/** What every span of one tracer shares. */
interface Shared extends HopTracerOptions {
  readonly onEnding: ReadonlyArray<(span: HopSpan) => void>;
}

const EXCEPTION_EVENT = 'exception';
const ATTR_EXCEPTION_TYPE = 'exception.type';
const ATTR_EXCEPTION_MESSAGE = 'exception.message';
const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace';

export function createHopTracer(options: HopTracerOptions): Tracer {
  const shared: Shared = {
    ...options,
    onEnding: options.processors.flatMap((p) => (p.onEnding === undefined ? [] : [(span: HopSpan) => p.onEnding!(span)])),
  };
  const { sampler, ids } = options;

  function startSpan(name: string, spanOptions: SpanOptions = {}, context?: Context): Span {
    if (context === undefined) throw new TypeError('hoptrace spans take their parent context explicitly');
    const parentContext = spanOptions.root === true ? trace.deleteSpan(context) : context;
    const parent = trace.getSpanContext(parentContext);
    const validParent = parent !== undefined && isValidSpanContext(parent) ? parent : undefined;
    const traceId = validParent?.traceId ?? ids.generateTraceId();
    const spanId = ids.generateSpanId();
    const kind = spanOptions.kind ?? SpanKind.INTERNAL;
    const links = spanOptions.links ?? [];
    const attributes = spanOptions.attributes ?? {};
    const result = sampler.shouldSample(parentContext, traceId, name, kind, attributes, links);
    const spanContext = new HopSpanContext(
      traceId,
      spanId,
      result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      result.traceState ?? validParent?.traceState,
    );
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new HopSpan(shared, name, kind, spanContext, validParent, spanOptions.startTime);
    span.setAttributes(attributes);
    if (result.attributes !== undefined) span.setAttributes(result.attributes);
    for (const link of links) span.addLink(link);
    for (const processor of shared.processors) processor.onStart(span, parentContext);
    return span;
  }

  return {
    startSpan,
    startActiveSpan() {
      throw new TypeError('hoptrace does not use a global context manager: use startSpan with a parent context');
    },
  };
}

/**
 * Sets `attributes` on `span` by handing it the object itself, when the span is one of this tracer's, has
 * no attributes yet, and would keep every entry as it is (valid values, within the limits); otherwise as
 * setAttributes does. For objects built for one span and never touched again (hop-spans.ts): most spans
 * then skip a copy of every key.
 */
export function setOwnAttributes(span: Span, attributes: SpanAttributes): void {
  if (!(span instanceof HopSpan) || !span.adoptAttributes(attributes)) span.setAttributes(attributes);
}

/** One recorded span: the API's Span for the proxy, a ReadableSpan for processors and exporters. */
class HopSpan implements Span, ReadableSpan {
  attributes: Attributes = {};
  // Shared and frozen until the first link or event: most spans have none, and every object a span holds
  // is one more for the garbage collector to copy while the span waits for export.
  links: Link[] = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  status: SpanStatus = UNSET_STATUS;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private attributeCount = 0;
  /** Epoch milliseconds, fractional. */
  private readonly startMs: number;
  private endMs = -1;

  constructor(
    private readonly shared: Shared,
    public name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    startTime: TimeInput | undefined,
  ) {
    this.startMs = startTime === undefined ? nowMs() : toMs(startTime);
  }

  get resource(): Resource {
    return this.shared.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.shared.scope;
  }

  get startTime(): HrTime {
    return msToHrTime(this.startMs);
  }

  get endTime(): HrTime {
    return this.endMs < 0 ? [0, 0] : msToHrTime(this.endMs);
  }

  get duration(): HrTime {
    return this.endMs < 0 ? [-1, -1] : msToHrTime(this.endMs - this.startMs);
  }

  get ended(): boolean {
    return this.endMs >= 0;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return this.endMs < 0;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value === undefined || value === null || this.endMs >= 0 || key.length === 0 || !isAttributeValue(value)) return this;
    const attributes = this.attributes as Record<string, AttributeValue>;
    const isNew = !Object.prototype.hasOwnProperty.call(attributes, key);
    if (isNew && this.attributeCount >= this.shared.limits.attributeCountLimit) {
      this.droppedAttributesCount += 1;
      return this;
    }
    attributes[key] = truncate(value, this.shared.limits.attributeValueLengthLimit);
    if (isNew) this.attributeCount += 1;
    return this;
  }

  /**
   * Keeps `attributes` itself as this span's attributes when setAttributes would have kept every entry as it
   * is (valid values, none over the length limit, no more than the count limit); false, untouched, otherwise.
   */
  adoptAttributes(attributes: SpanAttributes): boolean {
    if (this.attributeCount !== 0 || this.endMs >= 0) return false;
    const { attributeCountLimit, attributeValueLengthLimit } = this.shared.limits;
    let count = 0;
    for (const key in attributes) {
      if (!Object.prototype.hasOwnProperty.call(attributes, key)) return false;
      const value = attributes[key];
      // What setAttribute would keep as it is: a valid value, not an array (arrays are copied), not truncated.
      if (key.length === 0 || value === undefined || value === null || !isAttributeValue(value) || Array.isArray(value)) return false;
      if (typeof value === 'string' && value.length > attributeValueLengthLimit) return false;
      count += 1;
    }
    if (count > attributeCountLimit) return false;
    this.attributes = attributes as Attributes;
    this.attributeCount = count;
    return true;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.endMs >= 0) return this;
    let attributes: SpanAttributes | undefined;
    if (isTimeInput(attributesOrTime)) time = time ?? attributesOrTime;
    else attributes = attributesOrTime;
    if (this.shared.limits.eventCountLimit === 0) {
      this.droppedEventsCount += 1;
      return this;
    }
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= this.shared.limits.eventCountLimit) {
      this.events.shift();
      this.droppedEventsCount += 1;
    }
    this.events.push({
      name,
      attributes: sanitized(attributes, this.shared.limits.attributeValueLengthLimit),
      time: msToHrTime(time === undefined ? nowMs() : toMs(time)),
      droppedAttributesCount: 0,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.endMs >= 0) return this;
    if (this.shared.limits.linkCountLimit === 0) {
      this.droppedLinksCount += 1;
      return this;
    }
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= this.shared.limits.linkCountLimit) {
      this.links.shift();
      this.droppedLinksCount += 1;
    }
    const attributes = sanitized(link.attributes, this.shared.limits.attributeValueLengthLimit);
    this.links.push(Object.keys(attributes).length > 0 ? { context: link.context, attributes } : { context: link.context });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endMs >= 0 || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (this.endMs < 0) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.endMs >= 0) return;
    const end = endTime === undefined ? nowMs() : toMs(endTime);
    for (const onEnding of this.shared.onEnding) onEnding(this);
    this.endMs = end < this.startMs ? this.startMs : end;
    for (const processor of this.shared.processors) processor.onEnd(this);
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Record<string, string> = {};
    if (typeof exception === 'string') {
      attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    } else if (exception !== undefined && exception !== null) {
      if (exception.code !== undefined) attributes[ATTR_EXCEPTION_TYPE] = String(exception.code);
      else if (exception.name !== undefined) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message !== undefined) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack !== undefined) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] !== undefined || attributes[ATTR_EXCEPTION_MESSAGE] !== undefined) {
      this.addEvent(EXCEPTION_EVENT, attributes, time);
    }
  }
}

const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

const TIME_ORIGIN = performance.timeOrigin;

function nowMs(): number {
  return TIME_ORIGIN + performance.now();
}

/** Epoch milliseconds of a TimeInput: epoch or performance.now() milliseconds, a Date, or an HrTime. */
function toMs(time: TimeInput): number {
  if (typeof time === 'number') return time <= performance.now() ? TIME_ORIGIN + time : time;
  if (time instanceof Date) return time.getTime();
  return time[0] * 1e3 + time[1] / 1e6;
}

function msToHrTime(ms: number): HrTime {
  const seconds = Math.trunc(ms / 1e3);
  return [seconds, Math.round((ms - seconds * 1e3) * 1e6)];
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number');
}

function isAttributeValue(value: unknown): value is AttributeValue {
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (!Array.isArray(value)) return false;
  // An array holds one primitive type, with null/undefined allowed (sdk core isHomogeneousAttributeValueArray).
  let kind: string | undefined;
  for (const element of value) {
    if (element === null || element === undefined) continue;
    const elementType = typeof element;
    if (elementType !== 'string' && elementType !== 'number' && elementType !== 'boolean') return false;
    if (kind === undefined) kind = elementType;
    else if (kind !== elementType) return false;
  }
  return true;
}

function truncate(value: AttributeValue, limit: number): AttributeValue {
  if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
  if (Array.isArray(value)) return value.map((element) => (typeof element === 'string' && element.length > limit ? element.substring(0, limit) : element)) as AttributeValue;
  return value;
}

function sanitized(attributes: SpanAttributes | undefined, limit: number): Attributes {
  const out: Attributes = {};
  if (attributes === undefined) return out;
  for (const key in attributes) {
    const value = attributes[key];
    if (key.length > 0 && value !== undefined && value !== null && isAttributeValue(value)) out[key] = truncate(value, limit);
  }
  return out;
}
