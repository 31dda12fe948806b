/**
 * Per-service name counts over the spans held in the store: which services exist, which span names and
 * remote services each recorded. Counted, not just collected, so evicting a trace removes a name exactly
 * when its last span goes; memory follows the store's own caps.
 */
/** Lower-case names of one stored span (zipkin-normalize.ts), as the index counts them. */
export interface SpanNames {
  readonly service: string | undefined;
  readonly name: string | undefined;
  readonly remote: string | undefined;
}

export interface NameIndex {
  add(span: SpanNames): void;
  remove(span: SpanNames): void;
  services(): string[];
  spanNames(service: string): string[];
  remoteServiceNames(service: string): string[];
}

interface ServiceNames {
  spans: number;
  readonly names: Map<string, number>;
  readonly remotes: Map<string, number>;
}

export function createNameIndex(): NameIndex {
  const byService = new Map<string, ServiceNames>();

  return {
    add(span) {
      const service = span.service;
      if (service === undefined) return;
      let entry = byService.get(service);
      if (entry === undefined) {
        entry = { spans: 0, names: new Map(), remotes: new Map() };
        byService.set(service, entry);
      }
      entry.spans += 1;
      if (span.name !== undefined) increment(entry.names, span.name);
      if (span.remote !== undefined) increment(entry.remotes, span.remote);
    },
    remove(span) {
      const service = span.service;
      if (service === undefined) return;
      const entry = byService.get(service);
      if (entry === undefined) return;
      if (span.name !== undefined) decrement(entry.names, span.name);
      if (span.remote !== undefined) decrement(entry.remotes, span.remote);
      entry.spans -= 1;
      if (entry.spans <= 0) byService.delete(service);
    },
    services: () => [...byService.keys()].sort(),
    spanNames: (service) => sortedKeys(byService.get(service)?.names),
    remoteServiceNames: (service) => sortedKeys(byService.get(service)?.remotes),
  };
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, key: string): void {
  const count = (counts.get(key) ?? 0) - 1;
  if (count <= 0) counts.delete(key);
  else counts.set(key, count);
}

function sortedKeys(counts: Map<string, number> | undefined): string[] {
  return counts === undefined ? [] : [...counts.keys()].sort();
}
