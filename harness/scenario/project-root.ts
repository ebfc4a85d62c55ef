// Where the project's own files (labs/, scenarios/, schema/) are: the nearest directory above
// this module that holds a package.json. Works from the sources (harness/scenario/) and from the
// compiled CLI (dist/vxlab.cjs, and a build's staging directory under dist/) alike, and in a copy of the project.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
