/** How the CLI reports a config it cannot use: the same lines at start, on `--check` and on a rejected reload. */
import { ConfigError, HOP_ERR } from '../errors.js';
import { explainUnreadableConfig } from './explain.js';

export function reportConfigError(path: string, error: unknown, out: NodeJS.WritableStream = process.stderr): void {
  // The config file itself could not be read (TLS files that cannot be read share the code, not the advice).
  if (error instanceof ConfigError && error.code === HOP_ERR.CONFIG_READ && error.issues.every((issue) => issue.startsWith(`${path}: `))) {
    out.write(`${explainUnreadableConfig(error.issues.join('; '), path).join('\n')}\n`);
    return;
  }
  if (error instanceof ConfigError) {
    out.write(`hoptrace: ${path} is not a valid config:\n`);
    for (const issue of error.issues) out.write(`${issue}\n`);
    out.write(`Fix the fields above (routes.schema.json describes each) and check again with: hoptrace --check --config ${path}\n`);
    return;
  }
  out.write(`hoptrace: ${(error as Error).message}\n`);
}
