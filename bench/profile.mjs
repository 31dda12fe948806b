// `npm run bench:profile -- [--rate N] [--seconds S] target...`: runs each benchmark target under
// node --cpu-prof with the same load (a fixed rate, so each does the same work), and prints where each
// spends its CPU time per request, function by function, side by side with the first target. The
// profiles are left in the system's temporary directory for Chrome DevTools or speedscope.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { drive, wrkVersion } from './lib/load.mjs';
import { forkServer } from './lib/proc.mjs';
import { allTargets } from './lib/targets.mjs';

const { values: args, positionals } = parseArgs({
  options: { rate: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '10' }, top: { type: 'string', default: '40' } },
  allowPositionals: true,
});
const names = positionals.length > 0 ? positionals : ['bare', 'hoptrace-100-zipkin'];
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const upstream = await forkServer(here('servers/upstream.mjs'));
const sink = await forkServer(here('servers/sink.mjs'));
const tool = wrkVersion() !== undefined ? 'wrk' : 'autocannon';
const profiles = [];
try {
  for (const name of names) {
    const target = allTargets().find((candidate) => candidate.name === name);
    if (target === undefined || target.native !== undefined || name === 'direct') throw new Error(`cannot profile ${name}`);
    const tmp = mkdtempSync(join(os.tmpdir(), 'hoptrace-profile-'));
    const ctx = {
      tmp,
      hasWorkersFlag: true, // --workers 1: one process, the one profiled
      upstreamPort: upstream.port,
      upstreamUrl: `http://127.0.0.1:${upstream.port}`,
      sinkUrl: (sinkName) => `http://127.0.0.1:${sink.port}/${sinkName}/api/v2/spans`,
      hoptraceEnv: {},
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${tmp}`],
    };
    const handle = await target.start(ctx);
    const url = `http://127.0.0.1:${handle.port}/`;
    await drive(tool, { url, connections: 64, seconds: 2 });
    const result = await drive(tool, { url, connections: 64, seconds: Number(args.seconds), rate: Number(args.rate) });
    await handle.stop();
    const file = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.cpuprofile')));
    process.stdout.write(`${name}: ${Math.round(result.rps)} req/s, p99 ${(result.p99_us / 1000).toFixed(2)} ms; ${file}\n`);
    profiles.push({ name, ...selfTimes(JSON.parse(readFileSync(file, 'utf8'))) });
  }
} finally {
  await upstream.stop();
  await sink.stop();
}

/** µs of self time per function over the whole profile (warm-up, load and shutdown). */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const { functionName, url, lineNumber } = byId.get(profile.samples[i]).callFrame;
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|bench)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  self.delete('(idle) :0');
  return { self, total: [...self.values()].reduce((a, b) => a + b, 0) };
}

const [first] = profiles;
process.stdout.write(`\nCPU ms (self time, idle excluded) by function; load was the same for each target\n`);
process.stdout.write(`${profiles.map((p) => p.name.padStart(22)).join('')}  function\n`);
process.stdout.write(`${profiles.map((p) => (p.total / 1000).toFixed(0).padStart(22)).join('')}  TOTAL\n`);
const keys = new Set(profiles.flatMap((p) => [...p.self.keys()]));
const rows = [...keys].map((key) => ({ key, values: profiles.map((p) => p.self.get(key) ?? 0) }));
const last = (row) => row.values[row.values.length - 1] - row.values[0];
rows.sort((a, b) => Math.abs(last(b)) - Math.abs(last(a)) || b.values[0] - a.values[0]);
for (const row of rows.slice(0, Number(args.top))) {
  process.stdout.write(`${row.values.map((v) => (v / 1000).toFixed(0).padStart(22)).join('')}  ${row.key}\n`);
}
void first;
