/**
 * Service links (which service calls which) derived from the span trees of stored traces, the way Zipkin's
 * `DependencyLinker` derives them, so `/api/v2/dependencies` answers what Zipkin would:
 *
 * - a SERVER (or CONSUMER) span links its remote service (else the service of its nearest RPC ancestor)
 *   to its own service; a root SERVER span whose caller is unknown links nothing;
 * - a CLIENT (or PRODUCER) span links its own service to its remote service; a CLIENT span only when no
 *   span of the trace is its child: an instrumented callee's SERVER span counts the call instead (so a call
 *   between two traced services counts once, and a call to an untraced upstream still shows up);
 * - a span with no kind counts as a CLIENT span when both of its endpoints are named;
 * - a link is an error when its span carries the `error` tag (or, for a SERVER span directly under the
 *   CLIENT span that made the call, when that one does).
 *
 * Each link also keeps the calls' durations, for the viewer's service map (Zipkin's links have no latency).
 */
import type { ZipkinSpan } from '../export/zipkin-model.js';
import { ZIPKIN_ERROR_TAG } from '../export/zipkin-model.js';

/** Zipkin's DependencyLink. */
export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
}

/** A link with the durations (microseconds) of the calls it counts. */
export interface TimedLink extends DependencyLink {
  durations: number[];
}

export interface DependencyLinker {
  putTrace(spans: readonly ZipkinSpan[]): void;
  links(): TimedLink[];
}

interface SpanNode {
  span: ZipkinSpan;
  parent: SpanNode | undefined;
  children: number;
}

export function createDependencyLinker(): DependencyLinker {
  const byPair = new Map<string, TimedLink>();

  function addLink(parent: string, child: string, isError: boolean, duration: number | undefined): void {
    const key = `${parent}\u0000${child}`;
    let link = byPair.get(key);
    if (link === undefined) {
      link = { parent, child, callCount: 0, errorCount: 0, durations: [] };
      byPair.set(key, link);
    }
    link.callCount += 1;
    if (isError) link.errorCount += 1;
    if (duration !== undefined) link.durations.push(duration);
  }

  function linkNode(node: SpanNode): void {
    const span = node.span;
    let kind = span.kind;
    if (kind === 'CLIENT' && node.children > 0) return; // the callee's SERVER span counts this call
    const service = span.localEndpoint?.serviceName;
    const remote = span.remoteEndpoint?.serviceName;
    if (kind === undefined) {
      if (service === undefined || remote === undefined) return; // a local span
      kind = 'CLIENT';
    }
    let parent: string | undefined;
    let child: string | undefined;
    if (kind === 'SERVER' || kind === 'CONSUMER') {
      child = service;
      parent = remote;
      if (node.parent === undefined && parent === undefined) return; // the root's caller is unknown
    } else {
      parent = service;
      child = remote;
    }
    let isError = hasError(span);
    let duration = span.duration;
    const ancestor = rpcAncestor(node);
    const ancestorService = ancestor?.localEndpoint?.serviceName;
    if (ancestor !== undefined && ancestorService !== undefined) {
      // Instrumentation that put the remote service on the client side: backfill the missing hop.
      if (kind === 'CLIENT' && service !== undefined && ancestorService !== service) addLink(ancestorService, service, false, undefined);
      if (parent === undefined) parent = ancestorService;
      if (ancestor.kind === 'CLIENT' && span.parentId === ancestor.id) {
        // One RPC split over two spans: the caller saw the error (and the latency) first.
        if (!isError) isError = hasError(ancestor);
        if (ancestor.duration !== undefined) duration = ancestor.duration;
      }
    }
    if (parent === undefined || child === undefined) return;
    addLink(parent, child, isError, duration);
  }

  return {
    putTrace(spans) {
      for (const node of buildTree(spans)) linkNode(node);
    },
    links: () => [...byPair.values()].sort((a, b) => compare(a.parent, b.parent) || compare(a.child, b.child)),
  };
}

/** The links of every trace given, in Zipkin's shape. */
export function dependencyLinks(traces: Iterable<readonly ZipkinSpan[]>): DependencyLink[] {
  const linker = createDependencyLinker();
  for (const spans of traces) linker.putTrace(spans);
  return linker.links().map(({ parent, child, callCount, errorCount }) => ({ parent, child, callCount, errorCount }));
}

/**
 * The trace's spans as tree nodes. Spans that share an id (one RPC reported by both sides, B3 style) become
 * one node: the server side, named with the client as its remote endpoint and carrying the client's error.
 */
function buildTree(spans: readonly ZipkinSpan[]): SpanNode[] {
  const byId = new Map<string, SpanNode>();
  for (const span of spans) {
    const existing = byId.get(span.id);
    byId.set(span.id, { span: existing === undefined ? span : mergeShared(existing.span, span), parent: undefined, children: 0 });
  }
  for (const node of byId.values()) {
    const parentId = node.span.parentId;
    const parent = parentId === undefined ? undefined : byId.get(parentId);
    if (parent !== undefined && parent !== node) {
      node.parent = parent;
      parent.children += 1;
    }
  }
  return [...byId.values()];
}

function mergeShared(left: ZipkinSpan, right: ZipkinSpan): ZipkinSpan {
  if (left.kind === undefined) return copyError(left, right);
  if (right.kind === undefined) return copyError(right, left);
  const server = left.kind === 'SERVER' ? left : right;
  const client = server === left ? right : left;
  const merged = copyError(client, server);
  return server.remoteEndpoint?.serviceName !== undefined ? merged : { ...merged, remoteEndpoint: client.localEndpoint };
}

function copyError(maybeError: ZipkinSpan, result: ZipkinSpan): ZipkinSpan {
  const error = maybeError.tags?.[ZIPKIN_ERROR_TAG];
  return error === undefined ? result : { ...result, tags: { ...result.tags, [ZIPKIN_ERROR_TAG]: error } };
}

/** The nearest ancestor that is an RPC span (has a kind); a cycle in bad input ends the walk. */
function rpcAncestor(node: SpanNode): ZipkinSpan | undefined {
  const seen = new Set<SpanNode>([node]);
  for (let current = node.parent; current !== undefined && !seen.has(current); current = current.parent) {
    if (current.span.kind !== undefined) return current.span;
    seen.add(current);
  }
  return undefined;
}

function hasError(span: ZipkinSpan): boolean {
  return span.tags !== undefined && ZIPKIN_ERROR_TAG in span.tags;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
