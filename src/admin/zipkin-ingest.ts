/**
 * `POST /api/v2/spans`: Zipkin v2 JSON spans into the built-in store (SPEC §4), so several hoptrace
 * processes can share one viewer by pointing their `zipkin` exporter at it. Meant for demos and small
 * set-ups; production belongs on Zipkin, Jaeger, Tempo or a Collector.
 *
 * The body is capped (413 past it), may be gzip-encoded, must be JSON (protobuf and thrift get 415), and is
 * checked against the ListOfSpans schema as a whole: one bad span refuses the batch with 400 and a line
 * per problem, naming its path (`spans[2].traceId: must be …`). Accepted spans are rebuilt from the known
 * fields only, then handed to the store's one entry point; the answer is Zipkin's 202.
 */
import type { IncomingMessage } from 'node:http';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvErrors from 'ajv-errors';
import { AdminRequestError, HOP_ERR } from '../errors.js';
import type { SpanStore } from '../export/span-store.js';
import type { ZipkinEndpoint, ZipkinSpan } from '../export/zipkin-model.js';
import { answeringErrors } from './admin-errors.js';
import { readBody } from './read-body.js';
import type { AdminRoute } from './server.js';
import { ZIPKIN_SPANS_SCHEMA } from './zipkin-span-schema.js';

export interface IngestOptions {
  /** Largest accepted body, after gzip decoding. */
  readonly maxBodyBytes?: number;
}

export const INGEST_DEFAULTS = {
  maxBodyBytes: 4 * 1024 * 1024, // 4 MiB: several export batches of 512 spans; far above one hoptrace batch
  maxIssues: 20, // a batch of a thousand bad spans gets a readable answer, not a thousand lines
} as const;

const UNSUPPORTED_TYPES = new Set(['application/x-protobuf', 'application/protobuf', 'application/x-thrift']);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    ajvErrors.default(ajv);
    compiled = ajv.compile(ZIPKIN_SPANS_SCHEMA);
  }
  return compiled;
}

export function zipkinIngestRoute(store: SpanStore, options: IngestOptions = {}): AdminRoute {
  const maxBodyBytes = options.maxBodyBytes ?? INGEST_DEFAULTS.maxBodyBytes;
  return {
    method: 'POST',
    path: '/api/v2/spans',
    handler: answeringErrors(async (req, res) => {
      checkContentType(req);
      const body = await readBody(req, maxBodyBytes);
      store.add(parseSpans(body));
      res.writeHead(202, { 'content-length': 0 });
      res.end();
    }),
  };
}

/** Body → validated, clean spans; throws AdminRequestError (400) naming every problem. */
export function parseSpans(body: Buffer): ZipkinSpan[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new AdminRequestError(HOP_ERR.ADMIN_BAD_SPANS, 400, [`body is not valid JSON: ${(error as Error).message}`]);
  }
  const validate = validator();
  if (!validate(value)) throw new AdminRequestError(HOP_ERR.ADMIN_BAD_SPANS, 400, describeAll(validate.errors ?? []));
  return (value as ZipkinSpan[]).map(cleanSpan);
}

/**
 * Zipkin's other encodings are refused by name; any other type is read as JSON, as Zipkin reads it (a
 * `curl -d @spans.json` sends a form type), and gets a JSON syntax error when it is not.
 */
function checkContentType(req: IncomingMessage): void {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type === undefined || !UNSUPPORTED_TYPES.has(type)) return;
  throw new AdminRequestError(HOP_ERR.ADMIN_UNSUPPORTED_MEDIA, 415, [
    `content-type ${type} is not supported; send Zipkin v2 JSON as application/json`,
  ]);
}

function describeAll(errors: readonly ErrorObject[]): string[] {
  const lines = new Set<string>();
  for (const error of errors) lines.add(describe(error));
  const all = [...lines];
  if (all.length <= INGEST_DEFAULTS.maxIssues) return all;
  return [...all.slice(0, INGEST_DEFAULTS.maxIssues), `… and ${all.length - INGEST_DEFAULTS.maxIssues} more`];
}

function describe(error: ErrorObject): string {
  const path = toPath(error.instancePath);
  if (error.keyword === 'required') return `${path}.${String(error.params.missingProperty)}: is required`;
  if (error.keyword === 'enum') {
    return `${path}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${path}: ${error.message ?? 'is not valid'}`;
}

/** `/2/localEndpoint/port` → `spans[2].localEndpoint.port`. */
function toPath(pointer: string): string {
  let path = 'spans';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = /^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`;
  }
  return path;
}

/** A span built from the known fields of a valid input span, so nothing else is stored or echoed. */
function cleanSpan(input: ZipkinSpan): ZipkinSpan {
  const span: ZipkinSpan = { traceId: input.traceId, id: input.id };
  if (input.parentId !== undefined) span.parentId = input.parentId;
  if (input.kind !== undefined) span.kind = input.kind;
  if (input.name !== undefined) span.name = input.name;
  if (input.timestamp !== undefined) span.timestamp = input.timestamp;
  if (input.duration !== undefined) span.duration = input.duration;
  if (input.debug !== undefined) span.debug = input.debug;
  if (input.shared !== undefined) span.shared = input.shared;
  const local = cleanEndpoint(input.localEndpoint);
  if (local !== undefined) span.localEndpoint = local;
  const remote = cleanEndpoint(input.remoteEndpoint);
  if (remote !== undefined) span.remoteEndpoint = remote;
  if (input.annotations !== undefined && input.annotations.length > 0) {
    span.annotations = input.annotations.map(({ timestamp, value }) => ({ timestamp, value }));
  }
  if (input.tags !== undefined && Object.keys(input.tags).length > 0) span.tags = { ...input.tags };
  return span;
}

function cleanEndpoint(input: ZipkinEndpoint | undefined): ZipkinEndpoint | undefined {
  if (input === undefined) return undefined;
  const endpoint: ZipkinEndpoint = {};
  if (input.serviceName !== undefined && input.serviceName !== '') endpoint.serviceName = input.serviceName;
  if (input.ipv4 !== undefined) endpoint.ipv4 = input.ipv4;
  if (input.ipv6 !== undefined) endpoint.ipv6 = input.ipv6;
  if (input.port !== undefined && input.port !== 0) endpoint.port = input.port; // Zipkin: "don't set to zero"
  return Object.keys(endpoint).length === 0 ? undefined : endpoint;
}
