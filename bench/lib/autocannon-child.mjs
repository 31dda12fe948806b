// autocannon in a process of its own (so it never shares an event loop with what it measures); prints
// the result as one JSON line in the same shape as bench/wrk/report.lua. autocannon records latency in
// whole milliseconds, so its percentiles are coarser than wrk's.
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2]);
const result = await autocannon({ ...options, renderProgressBar: false, renderResultsTable: false });
const ms = (value) => Math.round(value * 1000);
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    duration_us: Math.round(result.duration * 1e6),
    bytes: result.throughput.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    p50_us: ms(result.latency.p50),
    p90_us: ms(result.latency.p90),
    p99_us: ms(result.latency.p99),
    p999_us: ms(result.latency.p99_9),
    max_us: ms(result.latency.max),
  })}\n`,
);
