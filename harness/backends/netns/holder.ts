// A node's holder: bubblewrap's sandbox (sandbox.ts) around `cat` on a pipe only vxlab holds.
// Nothing is named in the host's /run/netns. When the holder dies (teardown, or the harness
// dying: EOF on the pipe, and PR_SET_PDEATHSIG on bwrap and its children) the sandbox's first
// process dies, the kernel kills every process of its PID namespace and reclaims the namespaces
// and everything in them, including guest namespaces the node's own `ip netns add` created.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { DeadlineError, pollUntil } from '../../util/poll.ts';
import { harnessIdentity } from '../harness-identity.ts';
import { NODE_LABEL_VARIABLE, writeMarker } from './marker.ts';
import { bwrapArgv, type SandboxPlan } from './sandbox.ts';
import { traceSpawn } from '../../util/spawn-trace.ts';


export class Holder {
  private constructor(
    /** The sandbox's first process (PID 1 inside it), whose namespaces commands enter. */
    readonly pid: number,
    private readonly monitor: ChildProcess,
    private readonly monitorExit: Promise<void>,
  ) {}

  /**
   * Starts a sandbox and waits until its tree is in place, then writes its marker. It takes no
   * abort signal: stopped half-way, bwrap's first process may not yet die with bwrap, and it would
   * outlive the run unseen. It takes milliseconds, and the caller looks at its signal after.
   */
  static async start(label: string, plan: SandboxPlan, owner: { runId: string; node: string }, timeoutMs = 5000): Promise<Holder> {
    const argv = bwrapArgv(plan);
    // The label goes into the sandbox's environment (and so bwrap's argv): leaks stay traceable.
    argv.splice(argv.indexOf('--clearenv') + 1, 0, '--setenv', NODE_LABEL_VARIABLE, label);
    // Rootless: bwrap refuses to start with capabilities it did not get from root; it makes a user namespace instead.
    const dropCapabilities = plan.rootless ? ['--inh-caps', '-all', '--ambient-caps', '-all'] : [];
    traceSpawn(argv);
    const monitor = spawn('setpriv', ['--pdeathsig', 'KILL', ...dropCapabilities, '--', ...argv], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    let stderr = '';
    monitor.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const monitorExit = new Promise<void>((resolve) => monitor.once('close', () => resolve()));
    // The holder is `cat`: what it echoes comes from inside the finished tree (bwrap execs it after its last mount).
    monitor.stdin!.write('\n');
    let pid: number | undefined;
    try {
      pid = await new Promise<number>((resolve, reject) => {
        let info = '';
        let echoed = false;
        const settle = () => {
          const match = /"child-pid":\s*(\d+)/.exec(info);
          if (match) pid = Number(match[1]);
          if (pid !== undefined && echoed) done(() => resolve(pid!));
        };
        (monitor.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
          info += chunk.toString('utf8');
          settle();
        });
        monitor.stdout!.once('data', () => {
          echoed = true;
          settle();
        });
        // Its stderr is complete once its pipes close (bounded: closedOrDestroyed).
        const exited = () => void closedOrDestroyed(monitor, monitorExit).then(() => done(() => reject(new Error(`the sandbox of ${label} exited: ${stderr.trim() || `exit code ${monitor.exitCode}`}`))));
        monitor.once('exit', exited);
        const timer = setTimeout(() => done(() => reject(new DeadlineError(`timed out after ${timeoutMs} ms waiting for the sandbox of ${label} to build its tree`))), timeoutMs);
        let settled = false;
        function done(finish: () => void) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          monitor.off('exit', exited);
          finish();
        }
      });
      monitor.stdout!.resume(); // nothing more comes; never let it hold the pipe
      await writeMarker(pid, { ...owner, ...(await harnessIdentity()) });
      return new Holder(pid, monitor, monitorExit);
    } catch (error) {
      if (pid !== undefined) await new Holder(pid, monitor, monitorExit).stop();
      else {
        // Its first process may not yet die with bwrap (stopped this early): EOF ends its `cat` either way.
        monitor.stdin!.end();
        monitor.kill('SIGKILL');
        await closedOrDestroyed(monitor, monitorExit);
      }
      throw error;
    }
  }

  /** Kills the sandbox and waits until its first process, and so its PID namespace, is gone. */
  async stop(): Promise<void> {
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    this.monitor.stdin!.end();
    this.monitor.kill('SIGKILL');
    await closedOrDestroyed(this.monitor, this.monitorExit);
    await pollUntil(async () => ((await isGone(this.pid)) ? true : undefined), { what: `the sandbox process ${this.pid} to end`, timeoutMs: 5000 });
  }
}

/**
 * Waits for bwrap's pipes to close, which they do once every process of the sandbox is gone; a
 * process that still held one must never hang teardown, so after a while the pipes are dropped.
 */
async function closedOrDestroyed(monitor: ChildProcess, closed: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([closed.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 5000)))]);
  clearTimeout(timer);
  if (late) for (const stream of monitor.stdio) stream?.destroy();
}

/** A process is gone when /proc no longer lists it, or it is a zombie waiting for its reaper. */
async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || / Z /.test(stat.slice(stat.lastIndexOf(')')));
}
