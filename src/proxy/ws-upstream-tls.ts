/**
 * TLS of a WebSocket connection to an https upstream, by the rules forward.ts gives its connection pools:
 * SNI and the certificate check name the target's host (never the client's Host header; no SNI for an IP
 * address), certificates are always verified, and the route's upstreamCa is trusted through the secure
 * context the target's transport already holds. The pool itself is not used: an upgraded connection never
 * goes back to a pool, and a long session would hold one of its connections for its whole life.
 */
import { isIP } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Target } from '../routing/balance.js';

export interface UpstreamTls {
  readonly servername: string;
  readonly rejectUnauthorized: true;
  readonly secureContext?: SecureContext;
}

/** TLS options for `target`, or undefined for an http target. */
export function upstreamTls(target: Target): UpstreamTls | undefined {
  if (target.protocol !== 'https:') return undefined;
  const secureContext = target.transport?.secureContext;
  return {
    servername: isIP(target.hostname) === 0 ? target.hostname : '',
    rejectUnauthorized: true,
    ...(secureContext === undefined ? {} : { secureContext }),
  };
}
