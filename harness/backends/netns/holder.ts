// A namespace holder: a process that owns a private network and mount namespace for one node.
// Nothing is named in the host's /run/netns; when the holder dies (teardown, or the harness
// dying, through PR_SET_PDEATHSIG) the kernel reclaims the namespaces and everything in them,
// including namespaces the node's own `ip netns add` created in its private /run.
import { execa, type ResultPromise } from 'execa';
import { readlink, readFile } from 'node:fs/promises';
import { pollUntil } from '../../util/poll.ts';
import { execArgv } from '../../util/process.ts';
import { harnessIdentity } from '../harness-identity.ts';
import { writeMarker } from './marker.ts';

/** Wraps argv so that it dies with the harness and runs inside the holder's namespaces. */
export function inHolder(pid: number, argv: readonly string[]): string[] {
  return ['setpriv', '--pdeathsig', 'KILL', '--', 'nsenter', '-t', String(pid), '-n', '-m', '--', ...argv];
}

export class Holder {
  private constructor(
    readonly pid: number,
    private readonly process: ResultPromise,
  ) {}

  /** Starts a holder and waits until it is inside its new namespaces with a private /run and a marker. */
  static async start(label: string, owner: { runId: string; node: string }, signal?: AbortSignal): Promise<Holder> {
    // `cat` blocks on a stdin pipe that only we hold: if we vanish, it reads EOF and exits too.
    const child = execa('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--net', '--mount', '--propagation', 'private', '--', 'cat'], {
      stdin: 'pipe',
      stdout: 'ignore',
      stderr: 'pipe',
      reject: false,
      buffer: { stderr: true },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start the namespace holder for ${label}`);
    const holder = new Holder(pid, child);
    try {
      const ownNet = await readlink('/proc/self/ns/net');
      await pollUntil(
        async () => {
          if (child.exitCode !== null) {
            const result = await child;
            throw new Error(`the namespace holder for ${label} exited: ${String(result.stderr ?? '').trim() || `exit code ${result.exitCode}`}`);
          }
          const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
          const net = await readlink(`/proc/${pid}/ns/net`).catch(() => ownNet);
          return comm.trim() === 'cat' && net !== ownNet ? true : undefined;
        },
        { what: `the namespace holder for ${label}`, timeoutMs: 5000, ...(signal ? { signal } : {}) },
      );
      // A private /run: the node's `ip netns add` lands here, invisible to the host and other nodes.
      const mounted = await execArgv(['nsenter', '-t', String(pid), '-m', '--', 'mount', '-t', 'tmpfs', '-o', 'mode=0755,size=4m', label, '/run'], signal ? { signal } : {});
      if (mounted.exitCode !== 0) throw new Error(`could not give ${label} a private /run: ${mounted.stderr.trim()}`);
      await writeMarker(pid, { ...owner, ...(await harnessIdentity()) });
    } catch (error) {
      await holder.stop();
      throw error;
    }
    return holder;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.process;
  }
}
