/**
 * JSON Schema of a Zipkin v2 span list (`ListOfSpans` in zipkin2-api.yaml), as `POST /api/v2/spans`
 * accepts it. Stricter than the published document where Zipkin's own decoder is: ids are lower-hex and
 * not all zeros (zipkin2 `Span.Builder` rejects anything else), and numbers are integers. Unknown fields
 * are allowed and dropped, as Zipkin's JSON reader skips them.
 */
const LOWER_HEX_16 = '^(?!0{16}$)[0-9a-f]{16}$';
const LOWER_HEX_16_OR_32 = '^(?!0+$)([0-9a-f]{16}|[0-9a-f]{32})$';

const endpoint = {
  type: 'object',
  properties: {
    serviceName: { type: 'string' },
    ipv4: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$', errorMessage: 'must be an IPv4 address' },
    ipv6: { type: 'string', pattern: '^[0-9a-fA-F:.]+$', errorMessage: 'must be an IPv6 address' },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
  },
} as const;

export const ZIPKIN_SPANS_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'array',
  errorMessage: { type: 'must be a JSON array of Zipkin v2 spans' },
  items: {
    type: 'object',
    required: ['traceId', 'id'],
    properties: {
      traceId: { type: 'string', pattern: LOWER_HEX_16_OR_32, errorMessage: 'must be 16 or 32 lower-hex characters, not all zeros' },
      id: { type: 'string', pattern: LOWER_HEX_16, errorMessage: 'must be 16 lower-hex characters, not all zeros' },
      parentId: { type: 'string', pattern: LOWER_HEX_16, errorMessage: 'must be 16 lower-hex characters, not all zeros' },
      name: { type: 'string' },
      kind: { enum: ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] },
      timestamp: { type: 'integer', minimum: 0, errorMessage: 'must be epoch microseconds (an integer)' },
      duration: { type: 'integer', minimum: 0, errorMessage: 'must be microseconds (an integer)' },
      debug: { type: 'boolean' },
      shared: { type: 'boolean' },
      localEndpoint: endpoint,
      remoteEndpoint: endpoint,
      annotations: {
        type: 'array',
        items: {
          type: 'object',
          required: ['timestamp', 'value'],
          properties: {
            timestamp: { type: 'integer', minimum: 0, errorMessage: 'must be epoch microseconds (an integer)' },
            value: { type: 'string' },
          },
        },
      },
      tags: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
} as const;
