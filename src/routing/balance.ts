/**
 * Upstream targets of a route, parsed once, and the round-robin choice between them. With outlier
 * detection on, the choice skips targets that are ejected (outlier.ts) and learns from each attempt's outcome.
 */
import type { SecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { OutlierConfig } from '../config/types.js';
import { createOutlierDetector, type OutlierDetector } from './outlier.js';

/** How a target is reached, chosen once when the target is built (proxy/forward.ts). */
export interface TargetTransport {
  /** Carries the target's HTTP requests over its pool of keep-alive connections. */
  readonly dispatcher: Dispatcher;
  /** For an https target: the trusted CAs, also used by WebSocket connections (ws-upstream-tls.ts). */
  readonly secureContext?: SecureContext;
}

/** Picks the transport that reaches a target, once, when the target is built. */
export type TransportFor = (target: Target) => TargetTransport | undefined;

export interface Target {
  /** The URL as configured, for logs and spans. */
  readonly url: string;
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  /** Base path of the target, '' when it has none; request paths are appended to it. */
  readonly basePath: string;
  /** `host[:port]` as a Host header names the target, for a request that arrived without one. */
  readonly authority: string;
  /** `protocol//host[:port]`: the connection pool the target's requests share. */
  readonly origin: string;
  /** The transport for this target, when the table was built with one; forward.ts falls back to its own. */
  readonly transport?: TargetTransport;
}

export interface Balancer {
  readonly targets: readonly Target[];
  /**
   * The next healthy target in turn, other than `avoid` when another is healthy (a retry goes elsewhere);
   * undefined when every target is ejected.
   */
  next(avoid?: Target): Target | undefined;
  /** The outcome of one attempt on `target`: failures count towards its ejection. */
  report(target: Target, ok: boolean): void;
}

export function parseTarget(url: string, transportFor?: TransportFor): Target {
  const parsed = new URL(url);
  const protocol = parsed.protocol === 'https:' ? 'https:' : 'http:';
  const port = parsed.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const basePath = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/+$/, '');
  const target: Target = {
    url,
    protocol,
    hostname,
    port,
    basePath,
    authority: parsed.host,
    origin: `${protocol}//${parsed.host}`,
  };
  const transport = transportFor?.(target);
  return transport === undefined ? target : { ...target, transport };
}

export function createBalancer(
  urls: readonly string[],
  transportFor?: TransportFor,
  outlier?: OutlierConfig,
  now?: () => number,
): Balancer {
  const targets = urls.map((url) => parseTarget(url, transportFor));
  let cursor = 0;
  if (outlier === undefined) {
    return {
      targets,
      next(avoid) {
        let target = targets[cursor]!;
        cursor = cursor + 1 === targets.length ? 0 : cursor + 1;
        if (target === avoid && targets.length > 1) {
          target = targets[cursor]!;
          cursor = cursor + 1 === targets.length ? 0 : cursor + 1;
        }
        return target;
      },
      report() {},
    };
  }
  const detector: OutlierDetector = createOutlierDetector(targets.length, outlier, now);
  const indexOf = new Map(targets.map((target, index) => [target, index]));
  return {
    targets,
    next(avoid) {
      let fallback: Target | undefined;
      for (let tried = 0; tried < targets.length; tried += 1) {
        const index = cursor;
        cursor = cursor + 1 === targets.length ? 0 : cursor + 1;
        if (!detector.isAvailable(index)) continue;
        const target = targets[index]!;
        if (target !== avoid) return target;
        fallback = target;
      }
      return fallback;
    },
    report(target, ok) {
      const index = indexOf.get(target);
      if (index !== undefined) detector.report(index, ok);
    },
  };
}
