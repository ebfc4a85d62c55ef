// How commands get into a node: vxlab-enter (enter.c, built by `npm run build`) when it was built
// and answers its probe, else nsenter and setpriv. Both join the same namespaces and leave the
// program the same user, capabilities and no_new_privs (sandbox.ts enterArgv builds either argv).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../scenario/project-root.ts';
import { execArgv } from '../../util/process.ts';
import { ENTER_FILE, enterProbeAnswer } from './enter-build.ts';

export const ENTER_PROGRAM = join(PROJECT_ROOT, 'dist', ENTER_FILE);

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
  // A build of another enter.c (an older checkout's, or one not rebuilt since an edit) is not used.
  const expected = enterProbeAnswer();
  const answer = await execArgv([ENTER_PROGRAM, '--probe'], { timeoutMs: 5000 }).catch(() => undefined);
  return expected !== undefined && answer?.exitCode === 0 && answer.stdout.trim() === expected ? ENTER_PROGRAM : undefined;
}
