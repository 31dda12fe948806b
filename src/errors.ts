/**
 * Every failure hoptrace can name. Each has a literal `code` that callers and tests branch on
 * (never the message), and the errors the proxy answers with carry their HTTP status.
 */
export const HOP_ERR = {
  CONFIG_SYNTAX: 'HOP_ERR_CONFIG_SYNTAX',
  CONFIG_INVALID: 'HOP_ERR_CONFIG_INVALID',
  CONFIG_READ: 'HOP_ERR_CONFIG_READ',
  ROUTE_NOT_FOUND: 'HOP_ERR_ROUTE_NOT_FOUND',
  REQUEST_MALFORMED: 'HOP_ERR_REQUEST_MALFORMED',
  REQUEST_HEADERS_TOO_LARGE: 'HOP_ERR_REQUEST_HEADERS_TOO_LARGE',
  UPSTREAM_REFUSED: 'HOP_ERR_UPSTREAM_REFUSED',
  UPSTREAM_RESET: 'HOP_ERR_UPSTREAM_RESET',
  UPSTREAM_TIMEOUT: 'HOP_ERR_UPSTREAM_TIMEOUT',
  UPSTREAM_DNS: 'HOP_ERR_UPSTREAM_DNS',
  UPSTREAM_TLS: 'HOP_ERR_UPSTREAM_TLS',
  CLIENT_ABORTED: 'HOP_ERR_CLIENT_ABORTED',
  REQUEST_URI_TOO_LONG: 'HOP_ERR_REQUEST_URI_TOO_LONG',
  ADMIN_TOKEN_MISSING: 'HOP_ERR_ADMIN_TOKEN_MISSING',
  ACCESS_LOG_OPEN: 'HOP_ERR_ACCESS_LOG_OPEN',
  ADMIN_BAD_QUERY: 'HOP_ERR_ADMIN_BAD_QUERY',
  ADMIN_BAD_SPANS: 'HOP_ERR_ADMIN_BAD_SPANS',
  ADMIN_BODY_TOO_LARGE: 'HOP_ERR_ADMIN_BODY_TOO_LARGE',
  ADMIN_UNSUPPORTED_MEDIA: 'HOP_ERR_ADMIN_UNSUPPORTED_MEDIA',
} as const;

export type HopErrorCode = (typeof HOP_ERR)[keyof typeof HOP_ERR];

export class HopError extends Error {
  constructor(
    readonly code: HopErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A config that cannot be used; `issues` holds one line per problem, each starting with its JSON path. */
export class ConfigError extends HopError {
  constructor(
    code: HopErrorCode,
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(code, issues.join('\n'), options);
  }
}

/** A failure answered to the client; `errorType` becomes the spans' `error.type`. */
export abstract class ResponseError extends HopError {
  abstract readonly status: number;
  abstract readonly errorType: string;
}

export class RouteNotFoundError extends ResponseError {
  readonly status = 404;
  readonly errorType = 'route_not_found';
  constructor() {
    super(HOP_ERR.ROUTE_NOT_FOUND, 'no route matches this request');
  }
}

export class UpstreamRefusedError extends ResponseError {
  readonly status = 502;
  readonly errorType = 'connection_refused';
  constructor(options?: { cause?: unknown }) {
    super(HOP_ERR.UPSTREAM_REFUSED, 'the upstream refused the connection', options);
  }
}

export class UpstreamResetError extends ResponseError {
  readonly status = 502;
  readonly errorType = 'connection_reset';
  constructor(options?: { cause?: unknown }) {
    super(HOP_ERR.UPSTREAM_RESET, 'the upstream closed the connection', options);
  }
}

export class UpstreamDnsError extends ResponseError {
  readonly status = 502;
  readonly errorType = 'dns_failure';
  constructor(options?: { cause?: unknown }) {
    super(HOP_ERR.UPSTREAM_DNS, 'the upstream host name did not resolve', options);
  }
}

export class UpstreamTlsError extends ResponseError {
  readonly status = 502;
  readonly errorType = 'tls_failure';
  constructor(options?: { cause?: unknown }) {
    super(HOP_ERR.UPSTREAM_TLS, 'the upstream TLS handshake failed', options);
  }
}

export class UpstreamTimeoutError extends ResponseError {
  readonly status = 504;
  readonly errorType = 'timeout';
  constructor(timeoutMs: number) {
    super(HOP_ERR.UPSTREAM_TIMEOUT, `the upstream did not answer within ${timeoutMs} ms`);
  }
}

/** The client went away before the response was complete; not the upstream's failure. */
export class ClientAbortedError extends HopError {
  readonly errorType = 'client_aborted';
  constructor() {
    super(HOP_ERR.CLIENT_ABORTED, 'the client closed the connection before the response was complete');
  }
}

/** The request line or header block is over `limits` (size or count): 431, nothing forwarded. */
export class RequestHeadersTooLargeError extends ResponseError {
  readonly status = 431;
  readonly errorType = 'headers_too_large';
  constructor() {
    super(HOP_ERR.REQUEST_HEADERS_TOO_LARGE, 'the request headers are too large');
  }
}

/** The request target is longer than `limits.maxUrlLength`: 414, nothing forwarded. */
export class RequestUriTooLongError extends ResponseError {
  readonly status = 414;
  readonly errorType = 'uri_too_long';
  constructor() {
    super(HOP_ERR.REQUEST_URI_TOO_LONG, 'the request URL is too long');
  }
}

/** The admin port is open beyond loopback but no token was given (SPEC §2); the message names no secret. */
export class AdminTokenMissingError extends HopError {
  constructor(admin: string) {
    super(
      HOP_ERR.ADMIN_TOKEN_MISSING,
      `admin listens on ${admin}, which is not a loopback address: set HOPTRACE_ADMIN_TOKEN to the token admin requests must send as "Authorization: Bearer <token>", or bind admin to 127.0.0.1`,
    );
  }
}

/** A request to the admin port that cannot be served; `issues` become the plain-text body, one a line. */
export class AdminRequestError extends HopError {
  constructor(
    code: HopErrorCode,
    readonly status: 400 | 413 | 415,
    readonly issues: readonly string[],
  ) {
    super(code, issues.join('\n'));
  }
}

/** The access log's destination file cannot be opened for appending. */
export class AccessLogOpenError extends HopError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(HOP_ERR.ACCESS_LOG_OPEN, message, options);
  }
}
