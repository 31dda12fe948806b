/**
 * Facts the README and --help state that a change elsewhere could make false: every environment variable
 * they name is read somewhere in src/, and the walk-through's config is the shipped routes.json.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/deploy-examples.js';
import { runCli } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

const VARIABLE = /\b(?:OTEL|HOPTRACE)_[A-Z_]+[A-Z]\b/g;

describe('README and --help facts', () => {
  it('name only environment variables that the code reads', async () => {
    const help = runCli(['--help']);
    expect(await help.exited).toBe(0);
    const code = sources(join(ROOT, 'src'))
      .join('\n')
      // The help text itself lists them; it does not count as reading them.
      .replace(/const USAGE = `[\s\S]*?`;/, '');
    const named = new Set([...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(VARIABLE), ...help.stdout().matchAll(VARIABLE)].map((m) => m[0]));
    expect(named.size).toBeGreaterThan(4);
    expect([...named].filter((name) => !code.includes(`.${name}`) && !code.includes(`'${name}'`))).toEqual([]);
  });

  it('show the shipped routes.json as the walk-through config', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const walkthrough = readme.slice(readme.indexOf('## Put it in front of your service'));
    const block = /^```json\n([\s\S]*?)^```$/m.exec(walkthrough)![1]!;
    expect(JSON.parse(block)).toEqual(JSON.parse(readFileSync(join(ROOT, 'routes.json'), 'utf8')));
  });

  it('link only to headings that exist', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    // GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    const anchors = new Set(
      [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')),
    );
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(3);
    expect(links.filter((link) => !anchors.has(link))).toEqual([]);
  });
});
