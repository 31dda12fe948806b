/** How the CLI reports a config it cannot use: the same lines at start, on `--check` and on a rejected reload. */
import { ConfigError } from '../errors.js';

export function reportConfigError(path: string, error: unknown, out: NodeJS.WritableStream = process.stderr): void {
  if (error instanceof ConfigError) {
    out.write(`hoptrace: ${path} is not a valid config:\n`);
    for (const issue of error.issues) out.write(`${issue}\n`);
    out.write(`Fix the fields above (routes.schema.json describes each) and check again with: hoptrace --check --config ${path}\n`);
    return;
  }
  out.write(`hoptrace: ${(error as Error).message}\n`);
}
