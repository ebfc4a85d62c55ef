// The files a node's root tree is made of: each program with the shared libraries `ldd` names.
// One plan serves both backends: the netns sandbox binds these files read-only into an empty
// root, and the container backend copies them into its image. Pure.
import { compareCodeUnits } from '../util/compare.ts';

/** The absolute paths of the libraries and the loader in `ldd` output (the vDSO has no file). */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    const match = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.push(match[1]!);
  }
  return paths;
}

/** `ldd A B ...` output cut into each program's part: with more than one file, each part starts `PATH:`. */
export function splitLdd(output: string, paths: readonly string[]): Map<string, string> {
  if (paths.length === 1) return new Map([[paths[0]!, output]]);
  const parts = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const header = line.endsWith(':') && paths.includes(line.slice(0, -1)) ? line.slice(0, -1) : undefined;
    if (header !== undefined) {
      current = header;
      parts.set(current, '');
    } else if (current !== undefined) parts.set(current, `${parts.get(current)}${line}\n`);
  }
  return parts;
}

export interface TreeFile {
  /** Where it goes in the node's tree. */
  path: string;
  /** Where its bytes come from on the host. */
  source: string;
  mode: number;
}

export interface LocatedProgram {
  /** Where the program is on the host. */
  path: string;
  /** What `ldd` says of it. */
  ldd: string;
  /** Where it goes in the tree, when not at the host's path. */
  target?: string;
}

/** Every file of the tree: programs at their target (or the host's path), libraries at the path ldd gave. */
export function treeFiles(programs: readonly LocatedProgram[]): TreeFile[] {
  const files = new Map<string, TreeFile>();
  for (const program of programs) {
    const target = program.target ?? program.path;
    files.set(target, { path: target, source: program.path, mode: 0o755 });
    for (const library of parseLdd(program.ldd)) files.set(library, { path: library, source: library, mode: 0o755 });
  }
  return [...files.values()].sort((a, b) => compareCodeUnits(a.path, b.path));
}
