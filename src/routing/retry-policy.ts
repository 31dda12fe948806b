/**
 * A route's `retry` config compiled once into the sets a hop checks after a failed attempt: which
 * connection failures and which upstream statuses may be tried again, and how many attempts in all.
 * Whether a given request may be replayed at all (method, body) is the hop's question: see proxy/retry.ts.
 */
import type { RetryConfig, RetryOn } from '../config/types.js';

/** Failures that are not an upstream status. */
export type ConnectionFailure = Extract<RetryOn, 'connect-failure' | 'reset' | 'timeout'>;

export interface RetryPolicy {
  /** Attempts in all, the first included; always 2 or more. */
  readonly attempts: number;
  readonly failures: ReadonlySet<ConnectionFailure>;
  readonly statuses: ReadonlySet<number>;
}

/** Undefined when the route does not retry (no `retry`, or a single attempt). */
export function compileRetryPolicy(config: RetryConfig | undefined): RetryPolicy | undefined {
  if (config === undefined || config.attempts < 2) return undefined;
  const failures = new Set<ConnectionFailure>();
  const statuses = new Set<number>();
  for (const on of config.on) {
    if (on === 'connect-failure' || on === 'reset' || on === 'timeout') failures.add(on);
    else statuses.add(Number(on));
  }
  return { attempts: config.attempts, failures, statuses };
}
