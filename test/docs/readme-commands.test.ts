/**
 * Every command in README.md's ```sh blocks is run here or checked against what it relies on: a README
 * command that no longer works fails the build. Each command must match one rule below; one that matches
 * none fails with a request to add a rule (the first rule that matches applies). What is run:
 *
 * - `npx hoptrace …`, `npm run docs` (its --check), `npm prune --omit=dev` (its --dry-run): as written.
 * - `npm start` and the walk-through's `curl` commands: against the shipped routes.json with its three
 *   addresses (127.0.0.1:8080, 127.0.0.1:9901, the service on 127.0.0.1:3000) moved to free ports, a real
 *   upstream standing in for "your service", and the addresses in each curl command moved the same way.
 * - `npm ci`, `npm test`: by .ci/run, which must contain them; `npm run demo`: by test/e2e/demo.test.ts.
 * - docker, kubectl, systemctl and the install steps around them cannot run here (no Docker engine, no
 *   cluster, no systemd): the files they name are checked statically (test/helpers/deploy-examples.ts).
 *
 * The README's ```json blocks must each be a valid config, its ```yaml blocks valid YAML, and its ```js
 * blocks valid JavaScript.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startCli, writeConfig } from '../helpers/cli.js';
import {
  checkComposeFile,
  checkConfigFile,
  checkDockerfile,
  checkKubernetes,
  checkSystemdUnit,
  configOf,
  CONTAINER_CONFIG_PATH,
  dockerInstructions,
  kubernetesObjects,
  ROOT,
  runtimeFiles,
  systemdUnit,
} from '../helpers/deploy-examples.js';
import { startUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };
const UNIT_FILE = 'examples/systemd/hoptrace.service';

/** The addresses the README's walk-through uses, as the shipped routes.json has them. */
const WALKTHROUGH = { proxy: '127.0.0.1:8080', admin: '127.0.0.1:9901', service: 'http://127.0.0.1:3000' } as const;

/** The contents of the README's ```lang blocks, including those indented in a list item (dedented). */
function fenced(lang: string): string[] {
  return [...README.matchAll(new RegExp('^( *)```' + lang + '\\n([\\s\\S]*?)^ *```$', 'gm'))].map((match) =>
    match[2]!.replace(new RegExp(`^${match[1]}`, 'gm'), ''),
  );
}

/** The commands of the ```sh blocks: one per line, continuations joined, trailing comments dropped. */
function readmeCommands(): string[] {
  return fenced('sh')
    .flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

async function sh(command: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, HOPTRACE_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

interface Walkthrough {
  readonly proxy: string;
  readonly admin: string;
  readonly configPath: string;
  /** The command with the README's addresses replaced by the ones this run bound. */
  substitute(command: string): string;
}

/**
 * `npm start` for the walk-through: the start script, on the shipped routes.json moved to free ports.
 * `admin` replaces the admin address (the Security section binds it beyond loopback, with a token).
 */
async function startWalkthrough(options: { admin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Walkthrough> {
  expect(PKG.scripts.start).toBe('node bin/hoptrace.js --config routes.json');
  const shipped = JSON.parse(readFileSync(join(ROOT, 'routes.json'), 'utf8')) as { listen: string; admin: string; routes: Array<{ upstream: string }> };
  expect([shipped.listen, shipped.admin, shipped.routes.map((r) => r.upstream)]).toEqual([WALKTHROUGH.proxy, WALKTHROUGH.admin, [WALKTHROUGH.service]]);
  const service = await startUpstream((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello from your service: ${req.headers.traceparent === undefined ? 'no' : 'a'} traceparent\n`);
  });
  const admin = options.admin ?? '127.0.0.1:0';
  const copy = { ...shipped, listen: '127.0.0.1:0', admin, routes: shipped.routes.map((r) => ({ ...r, upstream: service.url })) };
  const configPath = writeConfig(copy);
  const cli = await startCli(configPath, options.env);
  expect(cli.stdout()).toMatch(/^listening proxy=127\.0\.0\.1:\d+ admin=\S+:\d+\n$/);
  // Reached over loopback whatever the admin port binds.
  const adminPort = cli.admin.slice(cli.admin.lastIndexOf(':') + 1);
  return {
    proxy: cli.proxy,
    admin: `127.0.0.1:${adminPort}`,
    configPath,
    substitute: (command) => command.split(WALKTHROUGH.proxy).join(cli.proxy).split(WALKTHROUGH.admin).join(`127.0.0.1:${adminPort}`),
  };
}

const builtTags = readmeCommands().flatMap((command) => /^docker build -t (\S+) \.$/.exec(command)?.[1] ?? []);

interface Rule {
  readonly pattern: RegExp;
  readonly check: (match: RegExpExecArray, command: string) => Promise<void> | void;
}

const RULES: readonly Rule[] = [
  {
    pattern: /^npm (ci|test)$/,
    check: (_match, command) => expect(readFileSync(join(ROOT, '.ci/run'), 'utf8').split('\n')).toContain(command),
  },
  {
    pattern: /^npm start$/,
    check: async () => {
      await startWalkthrough();
    },
  },
  {
    pattern: /^npm run demo$/,
    check: () => {
      expect(PKG.scripts.demo).toBe('npm run build && npm run build:tools && node dist/tools/demo/run.js');
      expect(readFileSync(join(ROOT, 'test/e2e/demo.test.ts'), 'utf8')).toContain("'dist/tools/demo/run.js'");
    },
  },
  {
    pattern: /^npm run docs$/,
    check: async () => {
      expect(PKG.scripts.docs).toBe('npm run build:tools && node dist/tools/scripts/config-reference.js');
      expect(await sh('node dist/tools/scripts/config-reference.js --check')).toMatchObject({ code: 0, stderr: '' });
    },
  },
  {
    pattern: /^npx hoptrace (.+)$/,
    check: async (match, command) => {
      const run = await sh(command);
      expect(run.code, run.stderr).toBe(0);
      if (match[1] === '--version') expect(run.stdout).toBe(`${PKG.version}\n`);
      if (match[1] === '--help') expect(run.stdout).toContain('Usage: hoptrace');
      const checked = /--check --config (\S+)/.exec(match[1]!);
      if (checked !== null) expect(run.stdout).toMatch(new RegExp(`^${checked[1]}: valid, \\d+ route\\(s\\)\\n$`));
    },
  },
  {
    // Security: the admin port beyond loopback, with a token (the README binds it to 0.0.0.0:9901).
    pattern: /^HOPTRACE_ADMIN_TOKEN="\$\(openssl rand -hex \d+\)" node bin\/hoptrace\.js --config routes\.json$/,
    check: async (_match, command) => {
      const walkthrough = await startWalkthrough();
      const config = JSON.parse(readFileSync(walkthrough.configPath, 'utf8')) as Record<string, unknown>;
      const path = writeConfig({ ...config, listen: '127.0.0.1:0', admin: '0.0.0.0:0' });
      const child = spawn('sh', ['-c', command.replace('routes.json', path)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      onTestFinished(() => {
        if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const admin = await waitFor(() => /admin=0\.0\.0\.0:(\d+)/.exec(out)?.[1], 10_000, 'the listening line');
      // It started, so the token was set; without it, admin requests other than the probes are refused.
      expect((await fetch(`http://127.0.0.1:${admin}/metrics`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${admin}/healthz`)).status).toBe(200);
    },
  },
  {
    pattern: /^curl -H "Authorization: Bearer \$HOPTRACE_ADMIN_TOKEN" http:\/\/proxy-host:(\d+)(\/\S*)$/,
    check: async (match, command) => {
      expect(Number(match[1])).toBe(Number(WALKTHROUGH.admin.split(':')[1]));
      const token = 'readme-admin-token';
      const walkthrough = await startWalkthrough({ admin: '0.0.0.0:0', env: { HOPTRACE_ADMIN_TOKEN: token } });
      const run = await sh(command.replace(`proxy-host:${match[1]}`, walkthrough.admin), { HOPTRACE_ADMIN_TOKEN: token });
      expect(run.code, run.stderr).toBe(0);
      const res = await fetch(`http://${walkthrough.admin}${match[2]}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    },
  },
  {
    pattern: /^curl (.+)$/,
    check: async (_match, command) => {
      const walkthrough = await startWalkthrough();
      if (command.includes('/api/v2/traces')) {
        // Step 5 reads back the trace of step 4: send that request first, then wait for its spans.
        await (await fetch(`http://${walkthrough.proxy}/`)).text();
        const found = await waitFor(async () => {
          const run = await sh(walkthrough.substitute(command));
          return run.code === 0 && run.stdout.includes('"serviceName":"example"') && run;
        }, 10_000, 'the walk-through trace in the query API');
        expect(JSON.parse(found.stdout)).toHaveLength(1);
      }
      const run = await sh(walkthrough.substitute(command));
      expect(run.code, run.stderr).toBe(0);
      if (/\s-i\s/.test(command)) {
        expect(run.stdout).toMatch(/^HTTP\/1\.1 2\d\d /);
        if (command.includes(WALKTHROUGH.proxy)) {
          expect(run.stdout).toMatch(/\r\ntraceresponse: 00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\r\n/);
          expect(run.stdout).toContain('hello from your service: a traceparent');
        }
      }
    },
  },
  {
    pattern: /^npm prune --omit=dev$/,
    check: async (_match, command) => expect(await sh(`${command} --dry-run`)).toMatchObject({ code: 0 }),
  },
  {
    pattern: /^docker build -t \S+ \.$/,
    check: async () => expect(await checkDockerfile()).toEqual([]),
  },
  {
    pattern: /^docker run --rm -p (\d+):(\d+) -v "\$PWD\/([^:"]+):([^:"]+):ro" (\S+)$/,
    check: async (match) => {
      const [, , containerPort, source, target, image] = match;
      expect(builtTags).toContain(image);
      expect(target).toBe(CONTAINER_CONFIG_PATH);
      expect(await checkConfigFile(join(ROOT, source!))).toEqual([]);
      const config = configOf(readFileSync(join(ROOT, source!), 'utf8'));
      expect(config.listen).toEqual({ host: '0.0.0.0', port: Number(containerPort) });
      expect(dockerInstructions().find((i) => i.keyword === 'CMD')?.args).toContain(target);
    },
  },
  {
    pattern: /^docker compose -f (\S+) up --build$/,
    check: async (match) => expect(await checkComposeFile(join(ROOT, match[1]!))).toEqual([]),
  },
  {
    pattern: /^kubectl create secret generic (\S+) --from-literal=(\w+)="\$\(openssl rand -hex \d+\)"$/,
    check: (match) => {
      const refs = kubernetesObjects(join(ROOT, 'examples/kubernetes'))
        .filter((o) => o.kind === 'Deployment')
        .flatMap((d) => (d.spec.template.spec.containers as Array<{ env?: Array<{ valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }>).flatMap((c) => c.env ?? []))
        .flatMap((e) => (e.valueFrom?.secretKeyRef === undefined ? [] : [e.valueFrom.secretKeyRef]));
      expect(refs).toContainEqual({ name: match[1], key: match[2] });
    },
  },
  {
    pattern: /^kubectl apply -f (\S+)$/,
    check: async (match) => expect(await checkKubernetes(join(ROOT, match[1]!))).toEqual([]),
  },
  {
    pattern: /^sudo useradd .* (\S+)$/,
    check: (match) => expect(systemdUnit(join(ROOT, UNIT_FILE)).Service?.User).toEqual([match[1]]),
  },
  {
    pattern: /^sudo mkdir -p (.+)$/,
    check: (match) => {
      const service = systemdUnit(join(ROOT, UNIT_FILE)).Service!;
      const config = service.ExecStart![0]!.split(/\s+/).at(-1)!;
      expect(match[1]!.split(' ').sort()).toEqual([service.WorkingDirectory![0], posix.dirname(config)].sort());
    },
  },
  {
    pattern: /^sudo cp -r (.+) (\S+)\/$/,
    check: (match) => {
      const sources = match[1]!.split(' ');
      for (const source of sources) expect(existsSync(join(ROOT, source)), source).toBe(true);
      // What the CLI reads at run time; the Dockerfile's runtime stage copies the same.
      expect(sources).toEqual(expect.arrayContaining([...runtimeFiles(), 'node_modules', 'package.json']));
      expect(systemdUnit(join(ROOT, UNIT_FILE)).Service?.WorkingDirectory).toEqual([match[2]]);
    },
  },
  {
    pattern: /^sudo cp (\S+) (\S+)$/,
    check: async (match) => {
      const [, source, target] = match;
      if (source!.endsWith('.service')) {
        expect(source).toBe(UNIT_FILE);
        expect(await checkSystemdUnit(join(ROOT, source!))).toEqual([]);
        expect(target).toBe(`/etc/systemd/system/${posix.basename(source!)}`);
      } else {
        expect(await checkConfigFile(join(ROOT, source!))).toEqual([]);
        expect(systemdUnit(join(ROOT, UNIT_FILE)).Service?.ExecStart?.[0]).toMatch(new RegExp(` --config ${target}$`));
      }
    },
  },
  {
    pattern: /^sudo systemctl (daemon-reload|enable --now (\S+)|reload (\S+))$/,
    check: (match) => {
      const name = match[2] ?? match[3];
      if (name !== undefined) expect(`${name}.service`).toBe(posix.basename(UNIT_FILE));
      if (match[3] !== undefined) expect(systemdUnit(join(ROOT, UNIT_FILE)).Service?.ExecReload).toHaveLength(1);
    },
  },
  {
    pattern: /^journalctl -u (\S+) -f$/,
    check: (match) => expect(`${match[1]}.service`).toBe(posix.basename(UNIT_FILE)),
  },
];

describe('README.md commands', () => {
  const commands = [...new Set(readmeCommands())];

  it('has the commands a newcomer needs', () => {
    expect(commands).toEqual(expect.arrayContaining(['npm ci', 'npm start', 'npm test', 'npm run demo']));
  });

  it.each(commands)('%s', async (command) => {
    const rule = RULES.map((candidate) => ({ candidate, match: candidate.pattern.exec(command) })).find(({ match }) => match !== null);
    expect(rule, `no test covers this README command; add a rule to test/docs/readme-commands.test.ts: ${command}`).toBeDefined();
    await rule!.candidate.check(rule!.match!, command);
  }, 45_000);
});

describe('README.md examples', () => {
  it.each(fenced('json').map((block, index) => [index + 1, block] as const))('json block %i is a valid config', async (_index, block) => {
    expect(await checkConfigFile(writeConfig(block))).toEqual([]);
  });

  it.each(fenced('yaml').map((block, index) => [index + 1, block] as const))('yaml block %i parses', (_index, block) => {
    expect(parseAllDocuments(block).flatMap((doc) => doc.errors.map(String))).toEqual([]);
  });

  it.each(fenced('js').map((block, index) => [index + 1, block] as const))('js block %i compiles', (_index, block) => {
    // Compiled, not run: it is a fragment of a request handler, with `req` and `body` in scope.
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => unknown;
    expect(() => new AsyncFunction('req', 'body', block)).not.toThrow();
  });
});
