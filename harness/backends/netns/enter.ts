// How commands get into a node: vxlab-enter (enter.c, built by `npm run build`) when it was built
// and answers its probe, else nsenter and setpriv. Both join the same namespaces and leave the
// program the same user, capabilities and no_new_privs (sandbox.ts enterArgv builds either argv).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../scenario/project-root.ts';
import { execArgv } from '../../util/process.ts';
import { ENTER_FILE } from './enter-build.ts';

export const ENTER_PROGRAM = join(PROJECT_ROOT, 'dist', ENTER_FILE);
/** What `vxlab-enter --probe` prints: a build from another enter.c (or for another machine) is not used. */
export const ENTER_PROBE_ANSWER = 'vxlab-enter 1';

let found: Promise<string | undefined> | undefined;

/**
 * vxlab-enter's path, or undefined for nsenter and setpriv (not built, or VXLAB_ENTER=nsenter,
 * which tests use to run the other way). Probed once per process.
 */
export function enterProgram(): Promise<string | undefined> {
  found ??= probe();
  return found;
}

async function probe(): Promise<string | undefined> {
  if (process.env.VXLAB_ENTER === 'nsenter' || !existsSync(ENTER_PROGRAM)) return undefined;
  const answer = await execArgv([ENTER_PROGRAM, '--probe'], { timeoutMs: 5000 }).catch(() => undefined);
  return answer?.exitCode === 0 && answer.stdout.trim() === ENTER_PROBE_ANSWER ? ENTER_PROGRAM : undefined;
}
