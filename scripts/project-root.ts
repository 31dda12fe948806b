/** The project's root: the folder of the package.json named hoptrace, above the calling file (in its source folder or under dist/tools/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hoptrace') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the hoptrace project folder (a package.json named hoptrace)');
    dir = parent;
  }
}
