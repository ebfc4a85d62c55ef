// A lock between vxlab's processes on one machine: flock(2) on a file, taken through flock(1)
// (Node has none) on vxlab's own open file, so that the kernel drops it when vxlab closes the file
// or dies. The neighbour ledger and the claims of labs brought up take it.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { onAbort } from './abort-fanout.ts';

/** How long a lock is waited for: each is held for a few reads and writes, a few ms (longer only if its holder is stopped). */
export const LOCK_WAIT_MS = 60_000;

/** How long one flock(1) waits before it is started again: a run SIGKILLed while waiting leaves it at most this long. */
const FLOCK_ATTEMPT_S = 1;

/**
 * Takes the lock `what` ("the neighbour ledger's lock"): flock(2) on `lockFile`, in a directory only
 * its owner can open.
 * vxlab opens the file and a short-lived flock(1) locks that same open file (its fd 3) and exits:
 * the lock belongs to the open file, so vxlab holds it with no child left to kill or stop, and the
 * kernel drops it when vxlab closes the file or dies (Node has no flock). Resolves with the release.
 * Earlier locks were broken by the 27th, 28th and 29th attacks: a lock file judged stale by its
 * holder's PID (two runs took one over at once), an abstract unix socket (any local user could
 * bind it or hold it open), a `flock ... cat` child (killing the child let a second run in).
 */
export async function takeLock(lockFile: string, what: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const deadline = performance.now() + LOCK_WAIT_MS;
  for (;;) {
    signal?.throwIfAborted();
    // O_NOFOLLOW: not a link's target; O_NONBLOCK: a FIFO opens at once (and is refused below) instead of waiting for a writer.
    const handle = await open(lockFile, constants.O_RDONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600).catch((error: Error) => {
      throw new Error(`${what} ${lockFile} cannot be opened: ${error.message}`, { cause: error });
    });
    let held = false;
    try {
      const opened = await handle.stat();
      if (!opened.isFile()) throw new Error(`${what} ${lockFile} is not a regular file: remove it`);
      const { code, stderr } = await flockOnce(handle.fd, what, signal);
      // Locked, and still the file at that name (not replaced or removed since it was opened).
      const named = code === 0 ? await lstat(lockFile).catch(() => undefined) : undefined;
      held = named !== undefined && named.ino === opened.ino && named.dev === opened.dev;
      if (held) return () => handle.close();
      // 0 on a replaced file, 1 (not free within the attempt) and a killed flock are tried again;
      // anything else is flock's own error.
      if (code !== 0 && code !== 1 && code !== null) throw new Error(`${what} ${lockFile}: ${stderr.trim() || `flock exited with ${code}`}`);
    } finally {
      // Closing the file drops whatever lock a killed or late flock may have taken on it.
      if (!held) await handle.close();
    }
    if (performance.now() > deadline) throw new Error(`${what} ${lockFile} was not free within ${LOCK_WAIT_MS / 1000} s`);
  }
}

/**
 * One flock(1) on the open file `fd`, waiting up to FLOCK_ATTEMPT_S; killed if `signal` aborts, or
 * if it has not ended 2 s after its own timeout (stopped: the deadline must still come). A killed
 * flock's code is null.
 */
function flockOnce(fd: number, what: string, signal?: AbortSignal): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    signal?.throwIfAborted();
    const child = spawn('flock', ['--exclusive', '--timeout', String(FLOCK_ATTEMPT_S), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const unsubscribe = signal ? onAbort(signal, () => child.kill('SIGKILL')) : () => undefined;
    const stuck = setTimeout(() => child.kill('SIGKILL'), (FLOCK_ATTEMPT_S + 2) * 1000);
    const settle = () => {
      clearTimeout(stuck);
      unsubscribe();
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      settle();
      fail(new Error(error.code === 'ENOENT' ? `${what} needs flock: install it: apt-get install -y util-linux` : `flock: ${error.message}`, { cause: error }));
    });
    child.once('close', (code) => {
      settle();
      if (signal?.aborted) fail(signal.reason);
      else done({ code, stderr });
    });
  });
}
