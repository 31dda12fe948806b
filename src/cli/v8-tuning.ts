/**
 * V8 settings for a long-running proxy process, applied once when the CLI starts.
 *
 * Allocation-site pretenuring off. V8 allocates objects straight into the old generation once most objects
 * from one allocation site were found alive by a young collection. A proxy's objects live about as long as
 * a request, so under full load a fair share of them is in flight at every young collection, the sites of
 * per-request objects get tenured, and from then on those objects of every request land in the old
 * generation as garbage that only a full collection reclaims: the heap and RSS grow until one runs.
 * Measured with 100% sampling and Zipkin export, 20 s of full load, two runs each: peak RSS 204–206 MB with
 * pretenuring, 132–139 MB without, requests/s the same within the machine's noise.
 */
import v8 from 'node:v8';

export function tuneV8(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
