/**
 * Static checks of the deployment examples a user copies (Dockerfile, compose.yaml, Kubernetes manifests,
 * systemd unit). None of them can run here (no Docker engine, no cluster, no systemd as PID 1), so each
 * check reads the file and verifies what would break it for real: files it copies exist, the config it
 * mounts passes `hoptrace --check` and listens where the platform can reach it, ports, probes and paths
 * agree with each other. Each returns a list of problems; empty means good.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildConfig } from '../../src/config/index.js';
import type { HopConfig } from '../../src/config/types.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { runCli, writeConfig } from './cli.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the image, the compose file and the Kubernetes example put the config. */
export const CONTAINER_CONFIG_PATH = '/etc/hoptrace/routes.json';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Runs the real `hoptrace --check` on a config file; returns its problems. */
export async function checkConfigFile(path: string): Promise<string[]> {
  const run = runCli(['--check', '--config', path]);
  const code = await run.exited;
  return code === 0 ? [] : [`hoptrace --check ${path} exited ${code}: ${run.stderr().trim()}`];
}

/** A config's JSON text → HopConfig, through the same pipeline as the CLI (no environment). */
export function configOf(text: string): HopConfig {
  return buildConfig(JSON.parse(text));
}

// ---------------------------------------------------------------- Dockerfile

export interface Instruction {
  readonly stage: number;
  readonly keyword: string;
  readonly args: string;
}

export function dockerInstructions(path = join(ROOT, 'Dockerfile')): Instruction[] {
  const lines = readFileSync(path, 'utf8').replace(/\\\n/g, ' ').split('\n');
  const out: Instruction[] = [];
  let stage = -1;
  for (const line of lines.map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stage += 1;
    out.push({ stage, keyword: keyword.toUpperCase(), args: args.trim() });
  }
  return out;
}

function execForm(args: string): string[] | undefined {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : undefined;
}

/** COPY sources (without --from) of a stage, and their destinations. */
function copies(instructions: Instruction[], stage: number): Array<{ sources: string[]; dest: string; from?: string }> {
  return instructions
    .filter((i) => i.keyword === 'COPY' && i.stage === stage)
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { sources: paths.slice(0, -1), dest: paths.at(-1)!, from };
    });
}

/** What an installed hoptrace needs besides node_modules and package.json: package.json's `files`. */
export function runtimeFiles(): string[] {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files;
}

export async function checkDockerfile(): Promise<string[]> {
  const problems: string[] = [];
  const instructions = dockerInstructions();
  const lastStage = Math.max(...instructions.map((i) => i.stage));
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

  // Every source copied from the build context exists (a wildcard may match nothing: BuildKit allows it)
  // and is not excluded by .dockerignore.
  for (let stage = 0; stage <= lastStage; stage += 1) {
    for (const copy of copies(instructions, stage)) {
      if (copy.from !== undefined) continue;
      for (const source of copy.sources) {
        if (!source.includes('*') && !existsSync(join(ROOT, source))) problems.push(`COPY ${source}: no such file in the build context`);
        if (ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`))) problems.push(`COPY ${source}: excluded by .dockerignore`);
      }
    }
  }

  // The build stage has what `npm ci` (prepare → npm run build) reads.
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const project = /-p (\S+)/.exec(pkg.scripts.build ?? '')?.[1];
  const buildSources = copies(instructions, 0).flatMap((c) => c.sources);
  const needed = ['package.json', 'package-lock.json', 'src'];
  for (let file = project; file !== undefined; ) {
    needed.push(file);
    file = (JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { extends?: string }).extends?.replace(/^\.\//, '');
  }
  for (const file of needed) if (!buildSources.includes(file)) problems.push(`the build stage does not copy ${file}, which npm run build reads`);
  if (!instructions.some((i) => i.stage === 0 && i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))) problems.push('the build stage does not run npm ci');

  // The runtime stage has what the CLI reads at run time (package.json's `files`), and no dev dependencies.
  const runtime = copies(instructions, lastStage);
  const runtimeSources = runtime.flatMap((c) => c.sources);
  for (const file of ['package.json', ...runtimeFiles().filter((f) => f !== 'dist')]) {
    if (!runtimeSources.includes(file)) problems.push(`the runtime stage does not copy ${file}`);
  }
  if (!runtime.some((c) => c.from !== undefined && c.sources.includes('/app/dist'))) problems.push('the runtime stage does not copy dist/ from the build stage');
  const install = instructions.find((i) => i.stage === lastStage && i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
  if (install === undefined || !install.args.includes('--omit=dev') || !install.args.includes('--ignore-scripts')) {
    problems.push('the runtime stage must install with npm ci --omit=dev --ignore-scripts (prepare would need TypeScript)');
  }

  // Run as non-root, with node directly (signals), and the config at the documented path.
  const user = instructions.filter((i) => i.stage === lastStage && i.keyword === 'USER').at(-1)?.args;
  if (user === undefined || user === 'root' || user === '0') problems.push('the image runs as root');
  const entrypoint = execForm(instructions.find((i) => i.stage === lastStage && i.keyword === 'ENTRYPOINT')?.args ?? '') ?? [];
  const cmd = execForm(instructions.find((i) => i.stage === lastStage && i.keyword === 'CMD')?.args ?? '') ?? [];
  if (entrypoint.join(' ') !== 'node bin/hoptrace.js') problems.push(`ENTRYPOINT must run node bin/hoptrace.js directly, not ${entrypoint.join(' ')}`);
  if (cmd.join(' ') !== `--config ${CONTAINER_CONFIG_PATH}`) problems.push(`CMD must be --config ${CONTAINER_CONFIG_PATH}, is ${cmd.join(' ')}`);
  const baked = runtime.find((c) => c.dest === CONTAINER_CONFIG_PATH);
  if (baked === undefined || baked.sources.length !== 1) {
    problems.push(`no default config is copied to ${CONTAINER_CONFIG_PATH}`);
    return problems;
  }

  // The default config listens where the container can be reached, and the health check reaches its admin port.
  const defaultConfig = join(ROOT, baked.sources[0]!);
  problems.push(...(await checkConfigFile(defaultConfig)));
  const config = configOf(readFileSync(defaultConfig, 'utf8'));
  if (config.listen.host !== '0.0.0.0') problems.push(`${baked.sources[0]}: listen must bind 0.0.0.0 in a container, not ${config.listen.host}`);
  const expose = instructions.filter((i) => i.stage === lastStage && i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
  for (const port of [config.listen.port, config.admin.port]) if (!expose.includes(port)) problems.push(`EXPOSE does not list ${port}`);
  const health = instructions.find((i) => i.stage === lastStage && i.keyword === 'HEALTHCHECK')?.args ?? '';
  const probed = /http:\/\/127\.0\.0\.1:(\d+)\/healthz/.exec(health);
  if (probed === null) problems.push('HEALTHCHECK does not GET http://127.0.0.1:<admin port>/healthz');
  else if (Number(probed[1]) !== config.admin.port) problems.push(`HEALTHCHECK probes port ${probed[1]}, the admin port is ${config.admin.port}`);
  return problems;
}

// ---------------------------------------------------------------- docker compose

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  ports?: string[];
  volumes?: string[];
}

export async function checkComposeFile(path: string): Promise<string[]> {
  const problems: string[] = [];
  const dir = dirname(path);
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  if (docs.length !== 1 || docs[0]!.errors.length > 0) return [`${path}: not one valid YAML document: ${docs[0]?.errors.join('; ')}`];
  const compose = docs[0]!.toJS() as { services?: Record<string, ComposeService> };
  const services = compose.services ?? {};
  const hoptrace = Object.entries(services).find(([, s]) => s.build !== undefined);
  if (hoptrace === undefined) return [`${path}: no service is built from the project's Dockerfile`];
  const [name, service] = hoptrace;
  const context = resolve(dir, typeof service.build === 'string' ? service.build : (service.build?.context ?? '.'));
  const dockerfile = typeof service.build === 'object' && service.build.dockerfile !== undefined ? service.build.dockerfile : 'Dockerfile';
  if (!existsSync(join(context, dockerfile))) problems.push(`${name}: the build context ${context} has no ${dockerfile}`);

  const mount = (service.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === CONTAINER_CONFIG_PATH);
  if (mount === undefined) return [...problems, `${name}: no volume mounts a config at ${CONTAINER_CONFIG_PATH}`];
  const configPath = resolve(dir, mount[0]!);
  if (!existsSync(configPath)) return [...problems, `${name}: the mounted config ${mount[0]} does not exist`];
  problems.push(...(await checkConfigFile(configPath)));
  const config = configOf(readFileSync(configPath, 'utf8'));
  if (config.listen.host !== '0.0.0.0') problems.push(`${mount[0]}: listen must bind 0.0.0.0 in a container`);
  const published = (service.ports ?? []).map((p) => Number(String(p).split(':').at(-1)));
  if (!published.includes(config.listen.port)) problems.push(`${name}: the proxy port ${config.listen.port} is not published`);
  // Every host the config names (upstreams, exporters) is a service of this file, so it resolves.
  const hosts = [...config.routes.flatMap((r) => r.targets), ...config.tracing.exporters.flatMap((e) => ('endpoint' in e ? [e.endpoint] : []))].map(
    (url) => new URL(url).hostname,
  );
  for (const host of hosts) if (!(host in services)) problems.push(`${mount[0]}: ${host} is not a service of ${path}`);
  return problems;
}

// ---------------------------------------------------------------- Kubernetes

/** Manifests are free-form YAML; the checks below read what they need and report what is missing. */
type K8s = Record<string, any>;

export function kubernetesObjects(dir: string): K8s[] {
  const files = statSync(dir).isDirectory() ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f)) : [dir];
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.join('; ')}`);
      return doc.toJS() as K8s;
    }),
  );
}

export async function checkKubernetes(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const objects = kubernetesObjects(dir);
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && typeof o.data?.['routes.json'] === 'string');
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const service = objects.find((o) => o.kind === 'Service');
  if (configMap === undefined || deployment === undefined || service === undefined) return ['needs a ConfigMap with routes.json, a Deployment and a Service'];

  problems.push(...(await checkConfigFile(writeConfig(configMap.data['routes.json']))));
  const config = configOf(configMap.data['routes.json']);
  // The kubelet probes the pod's address, so both sockets must listen beyond loopback.
  if (config.listen.host !== '0.0.0.0') problems.push('routes.json: listen must bind 0.0.0.0 in a pod');
  if (config.admin.host !== '0.0.0.0') problems.push('routes.json: admin must bind 0.0.0.0 for the kubelet probes');

  const pod = deployment.spec.template.spec as K8s;
  const containers = pod.containers as K8s[];
  const sidecar = containers.find((c) => (c.volumeMounts ?? []).some((m: K8s) => m.mountPath === posix.dirname(CONTAINER_CONFIG_PATH)));
  if (sidecar === undefined) return [...problems, `no container mounts the config at ${posix.dirname(CONTAINER_CONFIG_PATH)}`];
  const mount = (sidecar.volumeMounts as K8s[]).find((m) => m.mountPath === posix.dirname(CONTAINER_CONFIG_PATH))!;
  if (mount.subPath !== undefined) problems.push('the config mount uses subPath, which never sees ConfigMap updates');
  const volume = (pod.volumes as K8s[]).find((v) => v.name === mount.name);
  if (volume?.configMap?.name !== configMap.metadata.name) problems.push(`the config volume does not come from ConfigMap ${configMap.metadata.name}`);

  const portOf = (ref: string | number): number | undefined =>
    typeof ref === 'number' ? ref : (sidecar.ports as K8s[]).find((p) => p.name === ref)?.containerPort;
  if (portOf(sidecar.readinessProbe?.httpGet?.port) !== config.admin.port || sidecar.readinessProbe?.httpGet?.path !== '/readyz') {
    problems.push(`readinessProbe must GET /readyz on the admin port ${config.admin.port}`);
  }
  if (portOf(sidecar.livenessProbe?.httpGet?.port) !== config.admin.port || sidecar.livenessProbe?.httpGet?.path !== '/healthz') {
    problems.push(`livenessProbe must GET /healthz on the admin port ${config.admin.port}`);
  }
  const servicePort = (service.spec.ports as K8s[])[0]?.targetPort as string | number;
  if (portOf(servicePort) !== config.listen.port) problems.push(`the Service must target the proxy port ${config.listen.port}`);
  const labels = deployment.spec.template.metadata.labels as Record<string, string>;
  for (const [key, value] of Object.entries(service.spec.selector as Record<string, string>)) {
    if (labels[key] !== value) problems.push(`the Service selector ${key}=${value} does not match the pod labels`);
  }
  if (!LOOPBACK.has(config.admin.host) && !(sidecar.env ?? []).some((e: K8s) => e.name === 'HOPTRACE_ADMIN_TOKEN' && e.valueFrom?.secretKeyRef !== undefined)) {
    problems.push('the admin port is not on loopback, so HOPTRACE_ADMIN_TOKEN must come from a Secret');
  }
  // The app is reached over the pod's loopback, on a port another container of the pod declares.
  for (const target of config.routes.flatMap((r) => r.targets)) {
    const url = new URL(target);
    const appPorts = containers.filter((c) => c !== sidecar).flatMap((c) => (c.ports ?? []).map((p: K8s) => p.containerPort as number));
    if (!LOOPBACK.has(url.hostname) || !appPorts.includes(Number(url.port))) problems.push(`upstream ${target} is not a port of the app container`);
  }
  const preStop = Number(sidecar.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
  if (((pod.terminationGracePeriodSeconds as number | undefined) ?? 30) * 1000 <= config.drainTimeoutMs + preStop * 1000) {
    problems.push('terminationGracePeriodSeconds leaves no time for the drain');
  }
  return problems;
}

// ---------------------------------------------------------------- systemd

export function systemdUnit(path: string): Record<string, Record<string, string[]>> {
  const unit: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      section = header[1]!;
      unit[section] ??= {};
      continue;
    }
    const [key, ...value] = line.split('=');
    ((unit[section] ??= {})[key!.trim()] ??= []).push(value.join('=').trim());
  }
  return unit;
}

export async function checkSystemdUnit(path: string): Promise<string[]> {
  const problems: string[] = [];
  const unit = systemdUnit(path);
  const service = unit.Service ?? {};
  const exec = (service.ExecStart?.[0] ?? '').split(/\s+/);
  if (!isAbsolute(exec[0] ?? '') || posix.basename(exec[0] ?? '') !== 'node') problems.push(`ExecStart must run node by its absolute path (not npm or npx), runs ${exec[0]}`);
  if (!(exec[1] ?? '').endsWith('/bin/hoptrace.js')) problems.push('ExecStart must run bin/hoptrace.js');
  const config = exec[exec.indexOf('--config') + 1];
  if (exec.indexOf('--config') === -1 || config === undefined || !isAbsolute(config)) problems.push('ExecStart must give --config an absolute path');
  if (posix.dirname(posix.dirname(exec[1] ?? '')) !== service.WorkingDirectory?.[0]) problems.push('WorkingDirectory must be the folder bin/hoptrace.js is in');
  if (!/^\/bin\/kill -HUP \$MAINPID$/.test(service.ExecReload?.[0] ?? '')) problems.push('ExecReload must send SIGHUP: /bin/kill -HUP $MAINPID');
  if (service.Restart?.[0] !== 'on-failure') problems.push('Restart must be on-failure');
  const user = service.User?.[0];
  if (user === undefined || user === 'root') problems.push('User must be an unprivileged account');
  const stop = Number(service.TimeoutStopSec?.[0] ?? 90);
  if (stop * 1000 <= DEFAULTS.drainTimeoutMs) problems.push(`TimeoutStopSec must exceed the drain timeout (${DEFAULTS.drainTimeoutMs / 1000} s)`);
  if (unit.Install?.WantedBy === undefined) problems.push('[Install] needs WantedBy so that enable works');
  return problems;
}
