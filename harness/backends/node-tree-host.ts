// Finds the host's programs for a node's tree, with what `ldd` says of each, once per process.
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { PrerequisiteError } from '../util/errors.ts';
import { execArgv } from '../util/process.ts';
import { splitLdd, type LocatedProgram } from './node-tree.ts';

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

/**
 * The programs of these names with their libraries, each looked up once per process, all the new
 * ones with one `ldd` (one spawn instead of one per program). A missing one is a
 * PrerequisiteError saying how to get it.
 */
export function locatePrograms(names: readonly string[], fix: string): Promise<LocatedProgram[]> {
  const fresh = [...new Set(names)].filter((name) => !located.has(name));
  if (fresh.length > 0) {
    const found = (async () => {
      const paths = await Promise.all(fresh.map(findProgram));
      const absent = fresh.find((_, i) => paths[i] === undefined);
      if (absent) throw new PrerequisiteError(`${absent} is not installed, and a node's programs come from the host`, fix);
      // A static program has no libraries: ldd then says so (and exits 1), which is fine.
      const parts = splitLdd((await execArgv(['ldd', ...(paths as string[])], { timeoutMs: 10_000 })).stdout, paths as string[]);
      return (paths as string[]).map((path) => ({ path, ldd: parts.get(path) ?? '' }));
    })();
    fresh.forEach((name, i) => {
      const program = found.then((programs) => programs[i]!);
      program.catch(() => located.delete(name));
      located.set(name, program);
    });
  }
  return Promise.all(names.map((name) => located.get(name)!));
}

/** The program of this name with its libraries (locatePrograms for one). */
export async function locateProgram(name: string, fix: string): Promise<LocatedProgram> {
  return (await locatePrograms([name], fix))[0]!;
}
