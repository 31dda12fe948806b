/**
 * Upstream targets of a route, parsed once, and the round-robin choice between them.
 */
import type { Agent } from 'node:http';

/** Picks the agent that reaches a target, once, when the target is built (see forward.ts for https). */
export type AgentFor = (target: Target) => Agent | undefined;

export interface Target {
  /** The URL as configured, for logs and spans. */
  readonly url: string;
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  /** Base path of the target, '' when it has none; request paths are appended to it. */
  readonly basePath: string;
  /** The target in the form http-proxy takes (its `target` option), built once instead of per request. */
  readonly proxyTarget: Readonly<{ protocol: string; host: string; hostname: string; port: number; path: string }>;
  /** The agent for this target, when the table was built with one; forward.ts falls back to its own. */
  readonly agent?: Agent;
}

export interface Balancer {
  readonly targets: readonly Target[];
  next(): Target;
}

export function parseTarget(url: string, agentFor?: AgentFor): Target {
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
    proxyTarget: { protocol, host: hostname, hostname, port, path: basePath },
  };
  const agent = agentFor?.(target);
  return agent === undefined ? target : { ...target, agent };
}

export function createBalancer(urls: readonly string[], agentFor?: AgentFor): Balancer {
  const targets = urls.map((url) => parseTarget(url, agentFor));
  let cursor = 0;
  return {
    targets,
    next() {
      const target = targets[cursor]!;
      cursor = cursor + 1 === targets.length ? 0 : cursor + 1;
      return target;
    },
  };
}
