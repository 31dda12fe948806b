/**
 * The deployment examples a user copies, checked statically (see test/helpers/deploy-examples.ts), and
 * every config shipped with the project validated by the real `hoptrace --check`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkComposeFile, checkConfigFile, checkDockerfile, checkKubernetes, checkSystemdUnit, ROOT } from '../helpers/deploy-examples.js';

function jsonConfigs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonConfigs(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

describe('deployment examples', () => {
  it('Dockerfile: copies what exists, runs node as non-root with the config at /etc/hoptrace, listens on 0.0.0.0, health check on the admin port', async () => {
    expect(await checkDockerfile()).toEqual([]);
  });

  it('examples/compose.yaml: builds the image, mounts a valid config, and every host it names is a service', async () => {
    expect(await checkComposeFile(join(ROOT, 'examples/compose.yaml'))).toEqual([]);
  });

  it('examples/kubernetes: sidecar with a valid ConfigMap config, probes on /healthz and /readyz, Service on the proxy port', async () => {
    expect(await checkKubernetes(join(ROOT, 'examples/kubernetes'))).toEqual([]);
  });

  it('examples/systemd/hoptrace.service: node directly, SIGHUP on reload, restart on failure', async () => {
    expect(await checkSystemdUnit(join(ROOT, 'examples/systemd/hoptrace.service'))).toEqual([]);
  });

  it('every config shipped with the project passes hoptrace --check', async () => {
    const configs = [join(ROOT, 'routes.json'), ...jsonConfigs(join(ROOT, 'examples'))];
    expect(configs.map((path) => relative(ROOT, path))).toContain('examples/compose/routes.json');
    const problems = (await Promise.all(configs.map(checkConfigFile))).flat();
    expect(problems).toEqual([]);
  });
});
