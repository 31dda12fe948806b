/**
 * Upstream targets of a route, parsed once, and the round-robin choice between them.
 */
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
}

export interface Balancer {
  readonly targets: readonly Target[];
  next(): Target;
}

export function parseTarget(url: string): Target {
  const parsed = new URL(url);
  const protocol = parsed.protocol === 'https:' ? 'https:' : 'http:';
  const port = parsed.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const basePath = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/+$/, '');
  return {
    url,
    protocol,
    hostname,
    port,
    basePath,
    proxyTarget: { protocol, host: hostname, hostname, port, path: basePath },
  };
}

export function createBalancer(urls: readonly string[]): Balancer {
  const targets = urls.map(parseTarget);
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
