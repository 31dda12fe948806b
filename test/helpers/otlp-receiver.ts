/**
 * An OTLP/HTTP trace receiver: accepts POST /v1/traces in the JSON encoding (what the `otlp` exporter sends),
 * decodes each ExportTraceServiceRequest and keeps its spans flattened, each with its resource's attributes.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { listen } from './listen.js';
import { waitFor } from './wait.js';

/** OTLP JSON AnyValue, reduced to what spans carry here. */
interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}

interface KeyValue {
  key: string;
  value: AnyValue;
}

interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number; message?: string };
}

interface ExportTraceServiceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ spans?: OtlpJsonSpan[] }>;
  }>;
}

/** One received span with its attributes and its resource's attributes as plain objects. */
export interface ReceivedOtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP numbering: 2 SERVER, 3 CLIENT. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | number | boolean>;
  links: Array<{ traceId: string; spanId: string }>;
  statusCode: number;
}

export const OTLP_SPAN_KIND_SERVER = 2;
export const OTLP_SPAN_KIND_CLIENT = 3;

export interface OtlpReceiver {
  /** The full traces URL (…/v1/traces). */
  endpoint: string;
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  baseUrl: string;
  spans: ReceivedOtlpSpan[];
  /** Headers of each export request, in order. */
  requestHeaders: IncomingHttpHeaders[];
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedOtlpSpan[]>;
}

/** `status` other than 200 answers every export with it and keeps nothing (400 is not retried by exporters). */
export async function startOtlpReceiver(status = 200): Promise<OtlpReceiver> {
  const receiver: OtlpReceiver = {
    endpoint: '',
    baseUrl: '',
    spans: [],
    requestHeaders: [],
    waitForSpans: (count, timeoutMs = 5_000) =>
      waitFor(() => receiver.spans.length >= count && receiver.spans, timeoutMs, `${count} spans at the OTLP receiver`),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(404).end();
        return;
      }
      receiver.requestHeaders.push(req.headers);
      if (status !== 200) {
        res.writeHead(status).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportTraceServiceRequest;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const resource = toRecord(resourceSpans.resource?.attributes);
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            receiver.spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              kind: span.kind,
              attributes: toRecord(span.attributes),
              resource,
              links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
              statusCode: span.status?.code ?? 0,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const { url } = await listen(server);
  receiver.baseUrl = url;
  receiver.endpoint = `${url}/v1/traces`;
  return receiver;
}

function toRecord(attributes: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const record: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    if (value.stringValue !== undefined) record[key] = value.stringValue;
    else if (value.intValue !== undefined) record[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) record[key] = value.doubleValue;
    else if (value.boolValue !== undefined) record[key] = value.boolValue;
  }
  return record;
}
