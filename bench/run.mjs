// `npm run bench`: hoptrace against no proxy, a bare Node proxy, the same proxy traced by hand, and
// nginx/Caddy when installed, in interleaved rounds within one run. Writes bench/results.md.
//
//   node bench/run.mjs [--rounds 3] [--seconds 8] [--connections 64] [--tool wrk|autocannon]
//                      [--only a,b] [--no-fixed] [--no-scaling] [--workers 1,2] [--out FILE]
//   node bench/run.mjs --smoke      a few seconds: direct, bare and hoptrace 100%; checks spans arrive
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { drive, wrkVersion } from './lib/load.mjs';
import { forkServer, treeCpuSeconds, treeMemoryKb } from './lib/proc.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { median } from './lib/stats.mjs';
import { HOPTRACE_BIN, allTargets, nativeVersion, scalingTargets } from './lib/targets.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '64' },
    tool: { type: 'string' },
    only: { type: 'string' },
    fixed: { type: 'boolean', default: true },
    scaling: { type: 'boolean', default: true },
    workers: { type: 'string' },
    out: { type: 'string' },
  },
  allowNegative: true,
});

const smoke = args.smoke;
const rounds = Number(args.rounds ?? (smoke ? 1 : 3));
const seconds = Number(args.seconds ?? (smoke ? 1 : 8));
const warmupSeconds = Number(args.warmup ?? (smoke ? 0 : 3));
const connections = Number(args.connections);
const haveWrk = wrkVersion() !== undefined;
const tool = args.tool ?? (haveWrk && !smoke ? 'wrk' : 'autocannon');
const hasWorkersFlag = spawnSync(process.execPath, [HOPTRACE_BIN, '--help'], { encoding: 'utf8' }).stdout.includes('--workers');
const workerCounts = (args.workers ?? `1,${os.availableParallelism?.() ?? os.cpus().length}`).split(',').map(Number);
const log = (line) => process.stderr.write(`${line}\n`);

if (!existsSync(here('../dist/cli/main.js'))) {
  log('bench: dist/ is missing; run `npm run build` first (npm run bench does).');
  process.exit(1);
}

const tmp = mkdtempSync(join(os.tmpdir(), 'hoptrace-bench-'));
const upstream = await forkServer(here('servers/upstream.mjs'));
const sink = await forkServer(here('servers/sink.mjs'));
const ctx = {
  tmp,
  hasWorkersFlag,
  upstreamPort: upstream.port,
  upstreamUrl: `http://127.0.0.1:${upstream.port}`,
  sinkUrl: (name) => `http://127.0.0.1:${sink.port}/${name}/api/v2/spans`,
  hoptraceEnv: {},
  nodeArgs: [],
};

let targets = allTargets().filter((target) => target.native === undefined || nativeVersion(target.native) !== undefined);
if (smoke) targets = targets.filter((target) => ['direct', 'bare', 'hoptrace-100-zipkin'].includes(target.name));
if (args.only) targets = targets.filter((target) => args.only.split(',').includes(target.name));

const started = [];
async function start(list) {
  for (const target of list) {
    target.handle = await target.start(ctx);
    target.max = [];
    target.fixed = [];
    target.upstreamRequests = 0;
    target.peakSampledKb = 0;
    started.push(target);
  }
}

/** One load run against a target; counts the requests that reached the upstream and samples RSS. */
async function measure(target, rate) {
  const before = await upstream.query('count');
  const pid = target.handle.pid;
  const sampler = pid === undefined ? undefined : setInterval(() => {
    target.peakSampledKb = Math.max(target.peakSampledKb, treeMemoryKb(pid, 'VmRSS'));
  }, 250);
  const cpuBefore = pid === undefined ? 0 : treeCpuSeconds(pid);
  try {
    const result = await drive(tool, { url: `http://127.0.0.1:${target.handle.port}/`, connections, seconds, rate });
    // CPU time per request is steadier than requests/s on a shared machine: it barely depends on how
    // much CPU the target got, only on how much it needed.
    if (pid !== undefined) result.cpu_us = ((treeCpuSeconds(pid) - cpuBefore) * 1e6) / Math.max(1, result.requests);
    return result;
  } finally {
    if (sampler) clearInterval(sampler);
    target.upstreamRequests += (await upstream.query('count')) - before;
  }
}

async function warmup(list) {
  if (warmupSeconds <= 0) return;
  for (const target of list) {
    log(`warm-up ${target.name}`);
    const before = await upstream.query('count');
    await drive(tool, { url: `http://127.0.0.1:${target.handle.port}/`, connections, seconds: warmupSeconds });
    target.upstreamRequests += (await upstream.query('count')) - before;
  }
}

/** Rounds in which every target runs once; the order rotates so no target always follows the same one. */
async function interleave(list, each) {
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < list.length; i += 1) {
      const target = list[(i + round) % list.length];
      await each(target, round);
    }
  }
}

/** Waits until the sink's counts stop moving (exporters flush on a timer), then reads them. */
async function settledSinkCounts() {
  let last = JSON.stringify(await sink.query('count'));
  let stableSince = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = JSON.stringify(await sink.query('count'));
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= (smoke ? 1_000 : 6_000)) {
      return JSON.parse(now);
    }
  }
}

function finishTargets(list, counts) {
  for (const target of list) {
    if (target.handle.pid !== undefined) target.peakRssKb = Math.max(target.peakSampledKb, treeMemoryKb(target.handle.pid, 'VmHWM'));
    if (target.sink !== undefined) target.spansPerRequest = (counts.counts[target.sink] ?? 0) / Math.max(1, target.upstreamRequests);
  }
}

const loadStart = os.loadavg();
const run = {
  date: new Date().toISOString(),
  rounds,
  targets,
  machine: machine(),
  versions: versions(),
  method: [],
};

try {
  await start(targets);
  await warmup(targets);
  await interleave(targets, async (target, round) => {
    const result = await measure(target);
    target.max.push(result);
    log(`max   r${round + 1} ${target.name.padEnd(24)} ${Math.round(result.rps)} req/s  p50 ${(result.p50_us / 1000).toFixed(2)} ms  p99 ${(result.p99_us / 1000).toFixed(2)} ms  cpu ${result.cpu_us?.toFixed(0) ?? '-'} us/req`);
  });

  const bare = targets.find((target) => target.name === 'bare');
  if (args.fixed && !smoke && bare !== undefined) {
    run.fixedRate = Math.round(median(bare.max.map((r) => r.rps)) / 2);
    run.fixedTool = tool === 'wrk' ? 'wrk with bench/wrk/rate.lua (a fixed schedule of request start times, wrk2-like)' : 'autocannon overallRate';
    await interleave(targets, async (target, round) => {
      const result = await measure(target, run.fixedRate);
      target.fixed.push(result);
      log(`fixed r${round + 1} ${target.name.padEnd(24)} ${Math.round(result.rps)} req/s  p50 ${(result.p50_us / 1000).toFixed(2)} ms  p99 ${(result.p99_us / 1000).toFixed(2)} ms`);
    });
  }

  if (args.scaling && !smoke && hasWorkersFlag && bare !== undefined) {
    const scaling = scalingTargets(workerCounts);
    await start(scaling);
    await warmup(scaling);
    const bareRps = [];
    await interleave([bare, ...scaling], async (target, round) => {
      const result = await measure(target);
      if (target === bare) bareRps.push(result.rps);
      else target.max.push(result);
      log(`scale r${round + 1} ${target.name.padEnd(24)} ${Math.round(result.rps)} req/s`);
    });
    run.scaling = { targets: scaling, bare: bareRps };
  }

  const counts = await settledSinkCounts();
  finishTargets(started, counts);
  run.sinkBytesPerSpan = counts.bytes / Math.max(1, Object.values(counts.counts).reduce((a, b) => a + b, 0));
} finally {
  for (const target of started.reverse()) await target.handle.stop().catch(() => {});
  await upstream.stop();
  await sink.stop();
  rmSync(tmp, { recursive: true, force: true });
}

run.machine['load average (1/5/15 min) at start'] = loadStart.map((l) => l.toFixed(2)).join(' / ');
run.machine['load average at end'] = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
run.method = [
  `load generator: ${tool === 'wrk' ? 'wrk, 1 thread' : 'autocannon'}, ${connections} keep-alive connections, ${seconds} s per measurement, run as a process of its own`,
  `${rounds} rounds; in each, every target is measured once, in an order rotated per round; ${warmupSeconds} s warm-up per target first`,
  'each target is a process (tree) of its own; the upstream (node:http, fixed 24-byte body) and the span sink are two more processes',
  'peak RSS: the larger of VmRSS sampled every 250 ms under load and VmHWM at the end, summed over the target\'s processes',
  'spans/request: spans the sink counted for that target ÷ requests that reached the upstream through it (all rounds, warm-up included), read after the sink stopped receiving',
  `Zipkin JSON on the wire: ${run.sinkBytesPerSpan?.toFixed(0)} bytes per span on average over every exporting target`,
];

const markdown = renderMarkdown(run);
process.stdout.write(markdown);
const out = args.out ?? (smoke ? undefined : here('results.md'));
if (out !== undefined) {
  writeFileSync(out, markdown);
  log(`wrote ${out}`);
}
process.stdout.write(
  `BENCH_SUMMARY ${JSON.stringify(
    Object.fromEntries(
      started.map((t) => [t.name, { rps: median(t.max.map((r) => r.rps)), spansPerRequest: t.spansPerRequest, requests: t.upstreamRequests, peakRssKb: t.peakRssKb }]),
    ),
  )}\n`,
);

function machine() {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model;
  return {
    cpu,
    cores: String(os.availableParallelism?.() ?? os.cpus().length),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()}`,
  };
}

function versions() {
  const pkg = (name) => JSON.parse(readFileSync(here(`../node_modules/${name}/package.json`), 'utf8')).version;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  const list = {
    hoptrace: `${JSON.parse(readFileSync(here('../package.json'), 'utf8')).version} (commit ${commit})`,
    node: process.version,
    'http-proxy': pkg('http-proxy'),
    '@opentelemetry/sdk-trace-base': pkg('@opentelemetry/sdk-trace-base'),
    '@opentelemetry/exporter-zipkin': pkg('@opentelemetry/exporter-zipkin'),
    autocannon: pkg('autocannon'),
  };
  if (haveWrk) list.wrk = wrkVersion();
  for (const command of ['nginx', 'caddy']) {
    const version = nativeVersion(command);
    if (version !== undefined) list[command] = version;
  }
  return list;
}
