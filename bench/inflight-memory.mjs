// `node bench/inflight-memory.mjs [requests]`: memory per in-flight request. An upstream holds every
// request until all have arrived; hoptrace (1 process, 100% sampling, built-in store) carries them all at
// once; the growth of its RSS divided by the number of requests is the cost of one request in flight
// (its two open spans, both sockets' Node objects, the hop), measured against the same with no requests.
import http from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { spawnHoptrace, treeMemoryKb } from './lib/proc.mjs';
import { HOPTRACE_BIN } from './lib/targets.mjs';

const count = Number(process.argv[2] ?? 2000);
const held = [];
const upstream = http.createServer((req, res) => {
  held.push(res);
  if (held.length === count) upstream.emit('all-held');
});
upstream.listen(0, '127.0.0.1');
await once(upstream, 'listening');
const dir = mkdtempSync(join(os.tmpdir(), 'hoptrace-inflight-'));
const config = join(dir, 'routes.json');
writeFileSync(config, JSON.stringify({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'all', upstream: `http://127.0.0.1:${upstream.address().port}` }] }));
const hop = await spawnHoptrace(HOPTRACE_BIN, ['--config', config, '--workers', '1']);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

async function round() {
  const done = [];
  const allHeld = once(upstream, 'all-held');
  for (let i = 0; i < count; i += 1) {
    done.push(new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port: hop.port, path: `/r/${i}`, agent }, (res) => res.resume().on('end', resolve)).on('error', reject)));
  }
  await allHeld;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rss = treeMemoryKb(hop.pid, 'VmRSS');
  for (const res of held.splice(0)) res.end('ok');
  await Promise.all(done);
  return rss;
}

await round(); // warm-up: sockets, JIT, pools
await new Promise((resolve) => setTimeout(resolve, 1500));
const idle = treeMemoryKb(hop.pid, 'VmRSS');
const loaded = await round();
console.log(`${count} requests in flight: RSS ${(idle / 1024).toFixed(1)} MB idle (keep-alive sockets open) → ${(loaded / 1024).toFixed(1)} MB; ${(((loaded - idle) * 1024) / count / 1024).toFixed(1)} KB per in-flight request`);
agent.destroy();
await hop.stop();
upstream.close();
upstream.closeAllConnections();
