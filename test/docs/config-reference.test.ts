/**
 * README.md's routes.json reference is generated from routes.schema.json by `npm run docs`
 * (scripts/config-reference.ts). These tests fail when the two differ, so a field added to the schema
 * without `npm run docs` fails the build, and check that the generator leaves no field out.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, END_MARKER, renderReference, withReference } from '../../scripts/config-reference.js';
import { ROOT } from '../helpers/deploy-examples.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const SCRIPT = join(ROOT, 'dist/tools/scripts/config-reference.js');
const schema = (): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, 'routes.schema.json'), 'utf8')) as Record<string, unknown>;
const readme = (): string => readFileSync(join(ROOT, 'README.md'), 'utf8');

function referenceIn(text: string): string {
  return text.slice(text.indexOf(BEGIN_MARKER) + BEGIN_MARKER.length, text.indexOf(END_MARKER)).trim();
}

/** Every property name anywhere in the schema (through $refs, branches and items). */
function propertyNames(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) propertyNames(item, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && value !== null && typeof value === 'object') for (const name of Object.keys(value)) out.add(name);
      propertyNames(value, out);
    }
  }
  return out;
}

async function runScript(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

describe('README routes.json reference', () => {
  it('is exactly what npm run docs generates from routes.schema.json', () => {
    expect(referenceIn(readme()), 'README.md is out of date: run npm run docs').toBe(renderReference(schema()));
  });

  it('names every field of the schema', () => {
    const reference = referenceIn(readme());
    const missing = [...propertyNames(schema())].filter((name) => !reference.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });

  it('npm run docs --check passes on the README, fails on a stale copy, and rewrites it', async () => {
    expect(await runScript(['--check'])).toMatchObject({ code: 0, stderr: '' });

    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-docs-'));
    const stale = join(dir, 'README.md');
    copyFileSync(join(ROOT, 'README.md'), stale);
    writeFileSync(stale, withReference(readme(), '| a stale table |'));
    const check = await runScript(['--check', '--readme', stale]);
    expect(check.code).toBe(1);
    expect(check.stderr).toBe(`${stale}: the routes.json reference differs from ${join(ROOT, 'routes.schema.json')}; run: npm run docs\n`);

    const write = await runScript(['--readme', stale]);
    expect(write).toMatchObject({ code: 0, stdout: `${stale}: routes.json reference updated\n` });
    expect(readFileSync(stale, 'utf8')).toBe(readme());
  });

  it('says where the markers go when a README has none', () => {
    expect(() => withReference('# no markers\n', 'x')).toThrow(`README.md has no config reference markers; put these two lines where the reference goes:\n${BEGIN_MARKER}\n${END_MARKER}`);
  });

  it('is what npm run docs runs', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.docs).toBe('npm run build:tools && node dist/tools/scripts/config-reference.js');
  });
});
