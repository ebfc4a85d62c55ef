// Rootless mode: without CAP_NET_ADMIN and CAP_SYS_ADMIN, vxlab runs itself again inside a new
// user, network and mount namespace where it holds those capabilities. Everything it builds then
// lives in namespaces owned by that user namespace, below a network namespace of its own.
import { execa } from 'execa';
import { PrerequisiteError } from './util/errors.ts';
import { hasNetnsCapabilities } from './backends/netns/prerequisites.ts';

/** Set in the re-run process; also lets a user turn rootless mode off with VXLAB_ROOTLESS=0. */
export const ROOTLESS_ENV = 'VXLAB_ROOTLESS';
const INSIDE = 'inside';

const UNSHARE = ['unshare', '--user', '--map-current-user', '--keep-caps', '--net', '--mount', '--'];

export function isRootless(): boolean {
  return process.env[ROOTLESS_ENV] === INSIDE;
}

/** Must this process run itself again in rootless mode to build labs (it lacks the capabilities)? */
export async function needsRootlessRerun(): Promise<boolean> {
  return !isRootless() && !(await hasNetnsCapabilities());
}

/**
 * Returns undefined when this process can build labs itself; otherwise runs vxlab again in
 * rootless mode, passing stdio and signals through, and returns its exit code.
 */
export async function rerunRootlessIfNeeded(): Promise<number | undefined> {
  if (!(await needsRootlessRerun())) return undefined;
  const lacking = 'CAP_NET_ADMIN and CAP_SYS_ADMIN are needed to build network namespaces, and this process lacks them';
  if (process.env[ROOTLESS_ENV] === '0') {
    throw new PrerequisiteError(`${lacking} (rootless mode is off: ${ROOTLESS_ENV}=0)`, 'run it as root: sudo npm run lab -- NAME');
  }
  const probe = await execa(UNSHARE[0]!, [...UNSHARE.slice(1), 'true'], { reject: false });
  if (probe.exitCode !== 0) {
    throw new PrerequisiteError(
      `${lacking}, and this kernel does not let it create a user namespace (${String(probe.stderr).trim() || `exit code ${probe.exitCode}`})`,
      'run it as root: sudo npm run lab -- NAME',
    );
  }
  const child = execa(UNSHARE[0]!, [...UNSHARE.slice(1), process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { [ROOTLESS_ENV]: INSIDE },
    reject: false,
  });
  // A terminal's Ctrl-C reaches the whole group; a signal sent to this process alone is passed on.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const result = await child;
  if (result.exitCode !== undefined) return result.exitCode;
  return result.signal === 'SIGTERM' ? 143 : 130;
}
