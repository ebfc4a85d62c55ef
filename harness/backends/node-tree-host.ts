// Finds the host's programs for a node's tree, with what `ldd` says of each, once per process.
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { PrerequisiteError } from '../util/errors.ts';
import { execArgv } from '../util/process.ts';
import type { LocatedProgram } from './node-tree.ts';

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where PATH (then the usual system directories) has an executable of this name. */
export async function findProgram(name: string): Promise<string | undefined> {
  for (const dir of `${process.env.PATH ?? ''}${delimiter}${HOST_PATH}`.split(delimiter).filter(Boolean)) {
    const path = join(dir, name);
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path; // executable, not only there
  }
  return undefined;
}

const located = new Map<string, Promise<LocatedProgram>>();

/** The program of this name with its libraries; a missing one is a PrerequisiteError saying how to get it. */
export function locateProgram(name: string, fix: string): Promise<LocatedProgram> {
  let found = located.get(name);
  if (!found) {
    found = (async () => {
      const path = await findProgram(name);
      if (!path) throw new PrerequisiteError(`${name} is not installed, and a node's programs come from the host`, fix);
      // A static program has no libraries: ldd then says so and fails, which is fine.
      return { path, ldd: (await execArgv(['ldd', path], { timeoutMs: 10_000 })).stdout };
    })();
    found.catch(() => located.delete(name));
    located.set(name, found);
  }
  return found;
}
