/**
 * `npm run docs`: writes the routes.json reference into README.md, between the config-reference markers,
 * generated from routes.schema.json, the single source of truth for config fields. With `--check` it writes
 * nothing and exits 1 when the README's reference differs from what it would write (a test runs that).
 *
 * The reference is one table per object of the config (the top level, `tracing`, `routes[]`, …), each row a
 * field with its type, default and description. The schema's own words are used: `description`,
 * `default`, and the `errorMessage` the validator reports, so the README says what `--check` says.
 * Fields that exist only in one branch of an `if`/`then`/`else` (an exporter's `endpoint`, say) say when
 * they apply. `$ref`s are followed; `allOf`/`anyOf`/`oneOf` branches are read the same way as `then`/`else`.
 *
 * Usage: node dist/tools/scripts/config-reference.js [--check] [--readme README.md] [--schema routes.schema.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './project-root.js';

export const BEGIN_MARKER = '<!-- config-reference:begin (generated from routes.schema.json by `npm run docs`: edit the schema, not this) -->';
export const END_MARKER = '<!-- config-reference:end -->';

type Schema = { [key: string]: unknown } & {
  $ref?: string;
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema | boolean>;
  required?: string[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  errorMessage?: string | Record<string, string>;
  additionalProperties?: Schema | boolean;
  propertyNames?: Schema;
  if?: Schema;
  then?: Schema;
  else?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
};

interface Field {
  readonly name: string;
  readonly schema: Schema;
  readonly required: boolean;
  /** Set for a field that exists only in one branch: "when `type` is `"zipkin"`". */
  readonly when?: string;
}

interface Section {
  readonly path: string;
  readonly description?: string;
  readonly shape?: string;
  readonly fields: Field[];
}

/** The Markdown reference for a schema, without the markers. */
export function renderReference(root: Schema): string {
  const sections: Section[] = [];
  collectSection(root, root, '', sections);
  const out: string[] = [];
  for (const section of sections) {
    const title = section.path === '' ? 'Top level' : `\`${section.path}\`${section.shape === undefined ? '' : ` (${section.shape})`}`;
    out.push(`#### ${title}`, '');
    if (section.path !== '' && section.description !== undefined) out.push(sentence(section.description), '');
    out.push('| field | type | default | description |', '| --- | --- | --- | --- |');
    for (const field of section.fields) out.push(row(root, section.path, field));
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/** Replaces what is between the markers of `readme` with `reference`. */
export function withReference(readme: string, reference: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin === -1 || end === -1 || end < begin) {
    throw new Error(`README.md has no config reference markers; put these two lines where the reference goes:\n${BEGIN_MARKER}\n${END_MARKER}`);
  }
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n\n${reference}\n\n${readme.slice(end)}`;
}

function collectSection(root: Schema, node: Schema, path: string, sections: Section[], fallback?: string, shape?: string): void {
  const schema = resolve(root, node);
  const fields = fieldsOf(root, schema);
  sections.push({ path, description: schema.description ?? fallback, shape, fields });
  for (const field of fields) {
    const child = resolve(root, field.schema);
    const childPath = path === '' ? field.name : `${path}.${field.name}`;
    for (const within of objectsWithin(root, child)) {
      collectSection(root, within.schema, `${childPath}${within.suffix}`, sections, child.description, within.shape);
    }
  }
}

interface Within {
  readonly suffix: '' | '[]';
  readonly schema: Schema;
  /** Set when the object is one of the shapes the value may take: "as an object". */
  readonly shape?: string;
}

/** The object schemas reachable from a field: itself, its array items, and object branches of an `if`. */
function objectsWithin(root: Schema, schema: Schema): Within[] {
  if (isObject(root, schema) && fieldsOf(root, schema).length > 0) return [{ suffix: '', schema }];
  const items = schema.items === undefined ? undefined : resolve(root, schema.items);
  if (items !== undefined && isObject(root, items)) return [{ suffix: '[]', schema: items }];
  return branches(root, schema)
    .filter(({ schema: branch }) => isObject(root, branch) && fieldsOf(root, branch).length > 0)
    .map(({ schema: branch }) => ({ suffix: '', schema: branch, shape: 'as an object' }));
}

/** The fields of an object schema, its own first, then those only some branches add. */
function fieldsOf(root: Schema, schema: Schema): Field[] {
  const required = new Set(schema.required ?? []);
  const fields: Field[] = [];
  const seen = new Set<string>();
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    if (typeof child === 'boolean') continue;
    fields.push({ name, schema: child, required: required.has(name) });
    seen.add(name);
  }
  // A field several branches define differently (each exporter type's `endpoint`) gets a row per branch.
  for (const { schema: branch, when } of branches(root, schema)) {
    const branchRequired = new Set(branch.required ?? []);
    for (const [name, child] of Object.entries(branch.properties ?? {})) {
      const key = `${name} ${JSON.stringify(child)}`;
      if (typeof child === 'boolean' || seen.has(name) || seen.has(key)) continue;
      fields.push({ name, schema: child, required: required.has(name) || branchRequired.has(name), when });
      seen.add(key);
    }
  }
  return fields;
}

/**
 * `then`/`else` (with the condition they stand for) and the members of allOf/anyOf/oneOf, followed down
 * through nested `if`s (an `else` that is itself an `if`/`then`/`else`, as a chain of exporter types is).
 */
function branches(root: Schema, schema: Schema): Array<{ schema: Schema; when?: string }> {
  const out: Array<{ schema: Schema; when?: string }> = [];
  const condition = schema.if === undefined ? undefined : describeCondition(schema.if);
  const add = (branch: Schema, when: string | undefined): void => {
    const resolved = resolve(root, branch);
    out.push({ schema: resolved, when });
    out.push(...branches(root, resolved));
  };
  if (schema.then !== undefined) add(schema.then, condition?.then);
  if (schema.else !== undefined) add(schema.else, condition?.else);
  for (const member of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) add(member, constCondition(resolve(root, member)));
  return out;
}

function describeCondition(test: Schema): { then?: string; else?: string } | undefined {
  const byConst = constCondition(test);
  if (byConst !== undefined) return { then: byConst, else: byConst.replace(' is ', ' is not ') };
  if (typeof test.type === 'string') return { then: `when it is ${article(test.type)}`, else: `when it is not ${article(test.type)}` };
  return undefined;
}

/** `{ properties: { type: { const: "zipkin" } } }` → "when `type` is `"zipkin"`". */
function constCondition(schema: Schema): string | undefined {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    if (typeof child === 'object' && child.const !== undefined) return `when \`${name}\` is \`${JSON.stringify(child.const)}\``;
  }
  return undefined;
}

function row(root: Schema, sectionPath: string, field: Field): string {
  const schema = resolve(root, field.schema);
  const path = sectionPath === '' ? field.name : `${sectionPath}.${field.name}`;
  const notes: string[] = [];
  if (schema.description !== undefined) notes.push(sentence(schema.description));
  if (field.when !== undefined) notes.push(`Only ${field.when}.`);
  notes.push(...constraints(root, schema));
  const within = objectsWithin(root, schema)[0];
  if (within !== undefined) notes.push(`Fields: see \`${path}${within.suffix}\` below.`);
  const fallback = schema.default === undefined ? '' : cell(`\`${JSON.stringify(schema.default)}\``);
  return `| \`${field.name}\` | ${cell(typeOf(root, schema))} | ${field.required ? '**required**' : fallback} | ${cell(notes.join(' '))} |`;
}

function typeOf(root: Schema, schema: Schema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum !== undefined) return listOf(schema.enum.map((value) => `\`${JSON.stringify(value)}\``));
  const type = schema.type;
  if (type === 'array') {
    const items = schema.items === undefined ? undefined : resolve(root, schema.items);
    if (items === undefined) return 'array';
    const itemType = typeOf(root, items);
    return items.enum !== undefined || items.const !== undefined ? `array of ${itemType}` : `array of ${plural(itemType)}`;
  }
  if (Array.isArray(type)) return type.join(' or ');
  const values = schema.additionalProperties;
  if (type === 'object' && typeof values === 'object' && values !== null && schema.properties === undefined) {
    return `object of ${plural(typeOf(root, resolve(root, values as Schema)))}`;
  }
  if (typeof type === 'string') return bounds(schema, type);
  const options = branches(root, schema).map(({ schema: branch }) => typeOf(root, branch));
  if (options.length > 0) return [...new Set(options)].join(' or ');
  return 'any';
}

/** `integer ≥ 0`, `number from 0 to 1`. */
function bounds(schema: Schema, type: string): string {
  const min = schema.minimum ?? schema.exclusiveMinimum;
  const max = schema.maximum ?? schema.exclusiveMaximum;
  if (min !== undefined && max !== undefined) return `${type} from ${min} to ${max}`;
  if (min !== undefined) return `${type} ${schema.exclusiveMinimum !== undefined ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${type} ${schema.exclusiveMaximum !== undefined ? '<' : '≤'} ${max}`;
  return type;
}

/** What the validator says about a value, in its own words. */
function constraints(root: Schema, schema: Schema): string[] {
  const out: string[] = [];
  const message = errorMessage(schema);
  if (message !== undefined) out.push(`${capitalise(message)}.`);
  if (schema.minLength === 1) out.push('Not empty.');
  if (schema.type === 'array') {
    if (schema.minItems !== undefined && schema.minItems > 0) out.push(`At least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}.`);
    if (schema.maxItems !== undefined) out.push(`At most ${schema.maxItems} items.`);
    if (schema.uniqueItems === true) out.push('No duplicates.');
    const items = schema.items === undefined ? undefined : resolve(root, schema.items);
    const itemMessage = items === undefined ? undefined : errorMessage(items);
    if (itemMessage !== undefined) out.push(`Each ${itemMessage}.`);
  }
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
    const names = schema.propertyNames === undefined ? undefined : errorMessage(schema.propertyNames);
    if (names !== undefined) out.push(`Each name ${names}.`);
    const values = errorMessage(resolve(root, schema.additionalProperties as Schema));
    if (values !== undefined) out.push(`Each value ${values}.`);
  }
  if (schema.type === undefined && schema.enum === undefined) {
    // A value whose shape depends on a branch (a URL or { targets }): each branch's own message.
    for (const { schema: branch, when } of branches(root, schema)) {
      const branchMessage = errorMessage(branch);
      if (branchMessage !== undefined && when !== undefined && typeof branch.type === 'string') out.push(`${capitalise(when.replace(/^when it is /, 'As '))}: ${branchMessage}.`);
      else if (branchMessage !== undefined && when !== undefined) out.push(`${capitalise(when)}: ${branchMessage}.`);
    }
  }
  return out;
}

function errorMessage(schema: Schema): string | undefined {
  if (typeof schema.errorMessage === 'string') return schema.errorMessage;
  return undefined;
}

function resolve(root: Schema, schema: Schema): Schema {
  if (schema.$ref === undefined) return schema;
  const pointer = schema.$ref.replace(/^#\//, '').split('/');
  let target: unknown = root;
  for (const segment of pointer) target = (target as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (target === undefined) throw new Error(`routes.schema.json: ${schema.$ref} does not resolve`);
  const { $ref: _ref, ...siblings } = schema;
  // Words next to a $ref (its description, default) describe this use of it and win over the target's.
  return { ...resolve(root, target as Schema), ...siblings };
}

function isObject(root: Schema, schema: Schema): boolean {
  return resolve(root, schema).type === 'object' || resolve(root, schema).properties !== undefined;
}

/** `a`, `a or b`, `a, b or c`. */
function listOf(items: readonly string[]): string {
  return items.length <= 2 ? items.join(' or ') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function plural(type: string): string {
  if (type === 'object') return 'objects';
  if (/^(string|number|integer|boolean)$/.test(type)) return `${type}s`;
  return type;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A Markdown table cell: one line, pipes escaped, and outside code spans no `*` or `<` read as markup. */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .split(/(`[^`]*`)/)
    .map((part, index) => (index % 2 === 1 ? part : part.replace(/\*/g, '\\*').replace(/</g, '&lt;')))
    .join('')
    .replace(/\|/g, '\\|');
}

function main(argv: readonly string[]): void {
  const root = projectRoot();
  const { values } = parseArgs({
    args: [...argv],
    options: {
      check: { type: 'boolean', default: false },
      readme: { type: 'string', default: join(root, 'README.md') },
      schema: { type: 'string', default: join(root, 'routes.schema.json') },
    },
  });
  const schema = JSON.parse(readFileSync(values.schema, 'utf8')) as Schema;
  const readme = readFileSync(values.readme, 'utf8');
  const updated = withReference(readme, renderReference(schema));
  if (values.check) {
    if (updated !== readme) {
      process.stderr.write(`${values.readme}: the routes.json reference differs from ${values.schema}; run: npm run docs\n`);
      process.exitCode = 1;
    }
    return;
  }
  if (updated !== readme) writeFileSync(values.readme, updated);
  process.stdout.write(`${values.readme}: routes.json reference ${updated === readme ? 'already up to date' : 'updated'}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
