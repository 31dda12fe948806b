/**
 * When a failed attempt may be sent again (the route's policy is in routing/retry-policy.ts):
 *
 * - only idempotent methods (RFC 9110 §9.2.2): sending them twice has the effect of sending them once;
 * - only requests without a body. The forwarder pipes the client's request stream into each upstream request,
 *   and a stream can be read once: by the time an attempt has failed, even on a refused connection, the body
 *   has been read into that attempt's buffers and cannot be sent again. So a request is replayable when it
 *   declares no body at all (no Transfer-Encoding, Content-Length absent or 0), which also guarantees that
 *   no body byte was ever sent upstream;
 * - never once the client has seen a byte of an answer (the hop checks that: a response is only handed to
 *   the client after the retry decision).
 *
 * A client that hangs up is not a failure of the upstream (caddy's reverseproxy.go: "context.Canceled happens
 * when the downstream client cancels the request, which is not our failure"): it is never retried.
 */
import type { IncomingMessage } from 'node:http';
import { declaresNoBody } from './hop-headers.js';
import { HOP_ERR, type ResponseError } from '../errors.js';
import type { ConnectionFailure, RetryPolicy } from '../routing/retry-policy.js';

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Whether the request may be sent more than once. */
export function isReplayable(req: IncomingMessage): boolean {
  return IDEMPOTENT_METHODS.has(req.method ?? '') && declaresNoBody(req.headers);
}

/** The `retry.on` name of a failed attempt; undefined for failures that are never retried. */
export function connectionFailureOf(error: ResponseError): ConnectionFailure | undefined {
  switch (error.code) {
    case HOP_ERR.UPSTREAM_REFUSED:
    case HOP_ERR.UPSTREAM_DNS:
    case HOP_ERR.UPSTREAM_TLS:
      return 'connect-failure';
    case HOP_ERR.UPSTREAM_RESET:
      return 'reset';
    case HOP_ERR.UPSTREAM_TIMEOUT:
      return 'timeout';
    default:
      return undefined;
  }
}

/** Whether attempt number `attemptsMade` (1-based), which failed with `error`, is followed by another. */
export function retriesFailure(policy: RetryPolicy | undefined, attemptsMade: number, error: ResponseError): boolean {
  if (policy === undefined || attemptsMade >= policy.attempts) return false;
  const failure = connectionFailureOf(error);
  return failure !== undefined && policy.failures.has(failure);
}

/** Whether attempt number `attemptsMade`, answered with `status`, is dropped and followed by another. */
export function retriesStatus(policy: RetryPolicy | undefined, attemptsMade: number, status: number): boolean {
  return policy !== undefined && attemptsMade < policy.attempts && policy.statuses.has(status);
}

/** Upstream answers that count against a target's health: it is there but cannot serve. */
export function isUnavailableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}
