/**
 * The whole config pipeline: read → parse (line:column on syntax errors) → OTEL_* overrides → schema
 * validation (every issue, with its JSON path) → defaults → frozen HopConfig.
 */
import type { HopConfig } from './types.js';
import { readConfigFile, parseConfigText } from './load.js';
import { applyEnv } from './env.js';
import { validateConfig } from './validate.js';
import { applyDefaults } from './defaults.js';

export type { HopConfig } from './types.js';

export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<HopConfig> {
  return buildConfig(await readConfigFile(path), env, path);
}

export function configFromText(text: string, source: string, env: NodeJS.ProcessEnv = {}): HopConfig {
  return buildConfig(parseConfigText(text, source), env, source);
}

/** For configs built in code (tests, embedding): same validation and defaults as a file. */
export function buildConfig(json: unknown, env: NodeJS.ProcessEnv = {}, source?: string): HopConfig {
  const withEnv = applyEnv(json, env);
  validateConfig(withEnv);
  return applyDefaults(withEnv, source);
}
