/**
 * V8 settings for a long-running proxy process, applied once when the CLI starts (bin/hoptrace.js, before
 * the rest of the CLI is loaded).
 *
 * Allocation-site pretenuring off. V8 allocates objects straight into the old generation once most objects
 * from one allocation site were found alive by a young collection. A proxy's objects live about as long as
 * a request, so under full load a fair share of them is in flight at every young collection, the sites of
 * per-request objects get tenured, and from then on those objects of every request land in the old
 * generation as garbage that only a full collection reclaims: the heap and RSS grow until one runs.
 * Measured with 100% sampling and Zipkin export, 20 s of full load, two runs each: peak RSS 204–206 MB with
 * pretenuring, 132–139 MB without, requests/s the same within the machine's noise.
 *
 * The young generation held at 16 MB (capNewSpace). Node 20 lets its two semi-spaces grow to 16 MB each,
 * and a proxy under load reaches that: 32 MB of RSS for a generation whose live objects are the requests
 * in flight. Held at 8 MB each, over benchmark runs of 100% sampling with Zipkin export (interleaved, 5 and
 * 9 rounds of 8 s at full load): peak RSS 127 and 144 MB against 158 and 169 MB, requests/s 0.96× and
 * 0.98× (spreads 0.62–1.14 and 0.76–1.12), CPU time per request 97 µs against 98. Young collections come
 * twice as often and each copies about the same live objects, so they cost a little more CPU.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** What the young generation (V8's new space, both semi-spaces) is held to. */
export const NEW_SPACE_CAP_BYTES = 16 * 1024 * 1024;

export function tuneV8(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  // Whoever runs node with their own semi-space size gets theirs.
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (!flags.includes('semi-space')) capNewSpace(NEW_SPACE_CAP_BYTES);
}

/**
 * Keeps V8's new space at or under `capBytes` from here on, for a process that was started without
 * `--max-semi-space-size`: V8 takes that maximum only from the command line, before the heap exists, and
 * `hoptrace` is run as `node bin/hoptrace.js` or through its npm bin, where no flag can be added for it.
 * What V8 does read as it runs is the factor by which the new space grows when it grows
 * (`--semi-space-growth-factor`, 2): after each collection it is set to 2 while doubling the new space
 * keeps it within the cap, and to 1, no growth, otherwise. Doubling is checked, not the size alone: when
 * allocation slows V8 shrinks the new space to twice what is alive in it, any size (10 MB, say), and a new
 * space of 10 MB allowed to grow because it is under a 16 MB cap doubles to 20 MB. A new space that
 * shrank to such a size stays there, under the cap, until it shrinks again. A new space already past the
 * cap stays where it is. Returns what stops it.
 */
export function capNewSpace(capBytes: number): () => void {
  let growing = true;
  const check = (): void => {
    const grow = newSpaceBytes() * 2 <= capBytes;
    if (grow === growing) return;
    growing = grow;
    v8.setFlagsFromString(grow ? '--semi-space-growth-factor=2' : '--semi-space-growth-factor=1');
  };
  check();
  // A few entries a second under load; the new space only changes size in a collection.
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    if (!growing) v8.setFlagsFromString('--semi-space-growth-factor=2');
  };
}

export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}
