/**
 * The immutable route table built from one config. A reload builds a new table and swaps one reference;
 * requests already in flight keep the table they started with.
 */
import type { RouteConfig } from '../config/types.js';
import { createCapturePolicy, type CapturePolicy } from '../tracing/capture.js';
import { createBalancer, type Balancer, type Target, type TargetTransport } from './balance.js';
import { compileMatch, type Matcher } from './match.js';
import { compileRetryPolicy, type RetryPolicy } from './retry-policy.js';

export interface Route {
  readonly config: RouteConfig;
  readonly name: string;
  readonly service: string;
  /** `http.route`: the path prefix the route matches, `/` when it matches every path. */
  readonly httpRoute: string;
  readonly balancer: Balancer;
  readonly matches: Matcher;
  /** Undefined when failed attempts are not retried. */
  readonly retry: RetryPolicy | undefined;
  /** What the route's spans record beyond the defaults (headers, query values), compiled once. */
  readonly capture: CapturePolicy;
}

export interface RouteTableOptions {
  /** The transport for each target of a route, chosen once when the table is built. */
  readonly transportFor?: (route: RouteConfig, target: Target) => TargetTransport | undefined;
}

export interface RouteTable {
  readonly routes: readonly Route[];
  /** First match wins (SPEC §2). `host` is lower-case without port, `path` has no query. */
  match(method: string, host: string, path: string): Route | undefined;
  /** Like `match`, among the routes whose `match.host` names a host (for absolute-form targets). */
  matchNamedHost(method: string, host: string, path: string): Route | undefined;
}

export function createRouteTable(configs: readonly RouteConfig[], options: RouteTableOptions = {}): RouteTable {
  const { transportFor } = options;
  const routes: Route[] = configs.map((config) => ({
    config,
    name: config.name,
    service: config.service,
    httpRoute: config.match.pathPrefix ?? '/',
    balancer: createBalancer(config.targets, transportFor && ((target) => transportFor(config, target)), config.outlierDetection),
    matches: compileMatch(config.match),
    capture: createCapturePolicy(config.capture),
    retry: compileRetryPolicy(config.retry),
  }));
  const namedHost = routes.filter((route) => route.config.match.host !== undefined);
  return {
    routes,
    match(method, host, path) {
      for (const route of routes) if (route.matches(method, host, path)) return route;
      return undefined;
    },
    matchNamedHost(method, host, path) {
      for (const route of namedHost) if (route.matches(method, host, path)) return route;
      return undefined;
    },
  };
}
