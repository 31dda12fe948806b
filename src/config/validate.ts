/**
 * JSON → schema check, against routes.schema.json and nothing else (the schema is the single source of
 * truth; editors read the same file). Every problem is collected and reported as one line that starts with
 * the JSON path of the wrong field: `routes[2].upstream: must be an http or https URL`.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvErrors from 'ajv-errors';
import { ConfigError, HOP_ERR } from '../errors.js';

export const SCHEMA_URL = new URL('../../routes.schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    ajvErrors.default(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Throws a ConfigError listing every schema violation; returns when the value is valid. */
export function validateConfig(value: unknown): void {
  const validate = validator();
  if (validate(value)) return;
  const lines = new Set<string>();
  for (const error of validate.errors ?? []) {
    const line = describe(error);
    if (line !== undefined) lines.add(line);
  }
  throw new ConfigError(HOP_ERR.CONFIG_INVALID, [...lines]);
}

function describe(error: ErrorObject): string | undefined {
  const path = toPath(error.instancePath);
  switch (error.keyword) {
    case 'if':
      return undefined; // the failing then/else branch reports the real problem
    case 'propertyNames':
      return undefined; // the failing name's own error (the errorMessage of the name schema) says what is wrong
    case 'required':
      return `${join(path, String(error.params.missingProperty))}: is required`;
    case 'additionalProperties':
      return `${join(path, String(error.params.additionalProperty))}: is not a known field`;
    case 'enum':
      return `${path || '(root)'}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${path || '(root)'}: ${error.message ?? 'is not valid'}`;
  }
}

/** `/routes/2/upstream` → `routes[2].upstream` (JSON pointer to the path a user reads). */
function toPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = /^\d+$/.test(segment) ? `${path}[${segment}]` : join(path, segment);
  }
  return path;
}

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}
