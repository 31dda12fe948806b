// The targets the benchmark compares. Each `start` brings up one process (tree) and resolves with its
// port; configs of nginx and Caddy are generated into the run's temporary directory.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkServer, freePort, spawnHoptrace, spawnNative } from './proc.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
export const HOPTRACE_BIN = here('../../bin/hoptrace.js');

/**
 * ctx: { upstreamUrl, upstreamPort, sinkUrl(name), tmp, hasWorkersFlag, hoptraceEnv, nodeArgs }. `sink` names the sink path the target's spans go to;
 * `spansPerRequest` is what the sink should count per request (undefined: nothing is exported there).
 */
export function allTargets() {
  return [
    { name: 'direct', label: 'upstream directly (no proxy)', start: async (ctx) => ({ port: ctx.upstreamPort, pid: undefined, stop: async () => {} }) },
    { name: 'bare', label: 'bare http-proxy, keep-alive agent, no tracing', start: (ctx) => forkServer(here('../servers/bare-proxy.mjs'), [ctx.upstreamUrl], {}, ctx.nodeArgs) },
    {
      name: 'otel-by-hand',
      label: 'bare http-proxy + sdk-trace-base BatchSpanProcessor + exporter-zipkin, 1 span/request',
      sink: 'otel',
      start: (ctx) => forkServer(here('../servers/otel-proxy.mjs'), [ctx.upstreamUrl, ctx.sinkUrl('otel')], {}, ctx.nodeArgs),
    },
    { name: 'hoptrace-0', label: 'hoptrace sampleRate 0', sink: 'hop0', start: (ctx) => startHoptrace(ctx, 'hop0', { sampleRate: 0, zipkin: true }) },
    { name: 'hoptrace-100-zipkin', label: 'hoptrace 100%, Zipkin export', sink: 'hop100', start: (ctx) => startHoptrace(ctx, 'hop100', { sampleRate: 1, zipkin: true }) },
    { name: 'hoptrace-100-store', label: 'hoptrace 100%, built-in store only', start: (ctx) => startHoptrace(ctx, 'hopstore', { sampleRate: 1, zipkin: false }) },
    {
      name: 'hoptrace-100-accesslog',
      label: 'hoptrace 100%, Zipkin export, and the access log on (its default: a JSON line per request to stdout)',
      sink: 'hoplog',
      start: (ctx) => startHoptrace(ctx, 'hoplog', { sampleRate: 1, zipkin: true, accessLog: true }),
    },
    { name: 'nginx', label: 'nginx, 1 worker process, upstream keepalive', native: 'nginx', start: startNginx },
    { name: 'caddy', label: 'Caddy reverse_proxy, GOMAXPROCS=1, untraced', native: 'caddy', start: startCaddy },
  ];
}

/** hoptrace at 100% exporting to Zipkin with N workers, for the scaling table. */
export function scalingTargets(workerCounts) {
  return workerCounts.map((workers) => ({
    name: `hoptrace-100-zipkin-w${workers}`,
    label: `hoptrace 100%, Zipkin export, --workers ${workers}`,
    sink: `hopw${workers}`,
    start: (ctx) => startHoptrace(ctx, `hopw${workers}`, { sampleRate: 1, zipkin: true, workers }),
  }));
}

export function startHoptrace(ctx, name, { sampleRate, zipkin, workers = 1, accessLog = false }) {
  const config = {
    listen: '127.0.0.1:0',
    admin: '127.0.0.1:0',
    tracing: {
      serviceName: 'bench',
      sampleRate,
      exporters: zipkin ? [{ type: 'zipkin', endpoint: ctx.sinkUrl(name) }] : [],
    },
    // Off unless asked: nginx and Caddy run without an access log too, and the tracing cost is the question.
    accessLog: { enabled: accessLog },
    routes: [{ name: 'all', upstream: ctx.upstreamUrl }],
  };
  const path = join(ctx.tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  const args = ['--config', path];
  if (ctx.hasWorkersFlag) args.push('--workers', String(workers));
  return spawnHoptrace(HOPTRACE_BIN, args, ctx.hoptraceEnv, ctx.nodeArgs);
}

async function startNginx(ctx) {
  const dir = join(ctx.tmp, 'nginx');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream bench_upstream { server 127.0.0.1:${ctx.upstreamPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  return spawnNative('nginx', ['-p', dir, '-e', `${dir}/error.log`, '-c', join(dir, 'nginx.conf')], port);
}

async function startCaddy(ctx) {
  const dir = join(ctx.tmp, 'caddy');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(dir, 'Caddyfile'),
    `{
  admin off
  auto_https off
}
http://127.0.0.1:${port} {
  reverse_proxy 127.0.0.1:${ctx.upstreamPort}
}
`,
  );
  return spawnNative('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], port, {
    GOMAXPROCS: '1',
    HOME: dir,
    XDG_DATA_HOME: dir,
    XDG_CONFIG_HOME: dir,
  });
}

/** The installed version of nginx or caddy, or undefined when it is not installed. */
export function nativeVersion(command) {
  const run = spawnSync(command, [command === 'nginx' ? '-v' : 'version'], { encoding: 'utf8' });
  if (run.error !== undefined) return undefined;
  const text = `${run.stdout}${run.stderr}`;
  return command === 'nginx' ? /nginx\/(\S+)/.exec(text)?.[1] : text.trim().split(/\s+/)[0];
}
