// A lab's holders: bubblewrap's sandboxes (sandbox.ts) around `cat` on a socket only vxlab holds.
// Nothing is named in the host's /run/netns. When a holder dies (teardown, or the harness dying:
// EOF on its socket, and PR_SET_PDEATHSIG on the launcher, bwrap and its children) the sandbox's
// first process dies, the kernel kills every process of its PID namespace and reclaims the
// namespaces and everything in them, including guest namespaces the node's own `ip netns add`
// created.
//
// One launcher (bash) starts them all at once: Node's spawn blocks its event loop until each child
// has exec'd, so a lab's holders started from Node came up one after another. Each holder gets a
// socket of its own from Node's spawn (fd 3 + its index in the launcher), as its stdin, stdout and
// bwrap's info fd, and no other holder's: the socket closes on vxlab's side only once every process
// of that sandbox, and bwrap, are gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { DeadlineError, pollUntil } from '../../util/poll.ts';
import { harnessIdentity, processStartTime, type HarnessIdentity } from '../harness-identity.ts';
import { HARNESS_LABEL_VARIABLE, NODE_LABEL_VARIABLE, harnessLabel, writeMarker } from './marker.ts';
import { bwrapArgv, closeInheritedFds, diesWithParentArgv, type SandboxPlan } from './sandbox.ts';
import { traceSpawn } from '../../util/spawn-trace.ts';
import { shellWord } from '../ssh/quote.ts';

/** What Node writes to a new holder; `cat` echoes it from inside the finished tree (bwrap execs it after its last mount). */
const READY = 'vxlab-ready\n';

export interface HolderSpec {
  /** `vxlab-RUNID-NODE`: the sandbox's environment carries it, so leaks stay traceable. */
  label: string;
  plan: SandboxPlan;
  owner: { runId: string; node: string };
}

/** bwrap's argv for a holder (pure): the label and its harness go into the sandbox's environment, and so bwrap's argv. */
export function holderArgv(spec: HolderSpec, harness: HarnessIdentity, enter?: string): string[] {
  const argv = bwrapArgv(spec.plan);
  argv.splice(argv.indexOf('--clearenv') + 1, 0, '--setenv', NODE_LABEL_VARIABLE, spec.label, '--setenv', HARNESS_LABEL_VARIABLE, harnessLabel(harness));
  // Rootless: bwrap refuses to start with capabilities it did not get from root; it makes a user
  // namespace instead. setpriv drops them (vxlab-enter --pdeathsig changes nothing else).
  if (spec.plan.rootless) return ['setpriv', '--pdeathsig', 'KILL', '--inh-caps', '-all', '--ambient-caps', '-all', '--', ...argv];
  return diesWithParentArgv(argv, enter);
}

/**
 * The launcher's script (pure): first it closes every fd vxlab did not give it; holder i runs with
 * fd 3+i as its stdin, stdout and fd 3 (bwrap's info), every other holder's fd closed; then the
 * launcher closes its own copies and waits for its children, which die with it (pdeathsig) if it dies.
 */
export function launcherScript(argvs: readonly string[][]): string {
  const fds = argvs.map((_, i) => 3 + i);
  const first = closeInheritedFds(fds);
  const lines = argvs.map((argv, i) => {
    const own = fds[i]!;
    const others = fds.filter((fd) => fd !== own).map((fd) => `${fd}<&-`);
    return `${argv.map(shellWord).join(' ')} 0<&${own} 1>&${own} ${others.join(' ')} 3>&${own}${own === 3 ? '' : ` ${own}<&-`} &`;
  });
  return `${first}\n${lines.join('\n')}\nexec ${fds.map((fd) => `${fd}<&-`).join(' ')}\nwait\n`;
}

export class Holder {
  private constructor(
    /** The sandbox's first process (PID 1 inside it), whose namespaces commands enter. */
    readonly pid: number,
    /** Its start time (/proc/PID/stat field 22): vxlab-enter refuses a PID that another process took since. */
    readonly start: number,
    private readonly socket: Socket,
    private readonly closed: Promise<void>,
  ) {}

  /**
   * Starts every holder at once and waits until each one's tree is in place, then writes its
   * marker; one result per spec, in order. `track` is given the launcher at once, so the caller
   * can end it whatever happens next. No abort signal: stopped half-way, bwrap's first process may
   * not yet die with bwrap, and it would outlive the run unseen. The caller looks at its signal after.
   */
  static async startAll(dir: string, specs: readonly HolderSpec[], timeoutMs: number, track: (launcher: Launcher) => void, enter?: string): Promise<PromiseSettledResult<Holder>[]> {
    const harness = await harnessIdentity();
    const argvs = specs.map((spec) => holderArgv(spec, harness, enter));
    const script = join(dir, 'holders.sh');
    await writeFile(script, launcherScript(argvs), { mode: 0o600 });
    for (const argv of argvs) traceSpawn(argv.slice(argv.indexOf('--') + 1));
    const [program, ...args] = diesWithParentArgv(['bash', script], enter);
    const child = spawn(program!, args, { stdio: ['ignore', 'ignore', 'pipe', ...specs.map(() => 'pipe' as const)] });
    const launcher = new Launcher(child);
    track(launcher);
    return Promise.allSettled(specs.map((spec, i) => Holder.await(spec, child.stdio[3 + i] as Socket, launcher, timeoutMs)));
  }

  private static async await(spec: HolderSpec, socket: Socket, launcher: Launcher, timeoutMs: number): Promise<Holder> {
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined); // a holder that is gone: its close says so
    socket.write(READY);
    let pid: number | undefined;
    try {
      pid = await new Promise<number>((resolve, reject) => {
        let received = '';
        let settled = false;
        const timer = setTimeout(() => done(() => reject(new DeadlineError(`timed out after ${timeoutMs} ms waiting for the sandbox of ${spec.owner.node} to build its tree`))), timeoutMs);
        const onData = (chunk: Buffer) => {
          received += chunk.toString('utf8');
          const match = /"child-pid":\s*(\d+)/.exec(received);
          if (match) pid = Number(match[1]);
          if (pid !== undefined && received.includes(READY)) done(() => resolve(pid!));
        };
        // Every process that held the socket is gone: bwrap failed (its stderr is the launcher's).
        const onEnd = () => void launcher.stderrSoFar().then((stderr) => done(() => reject(new Error(`the sandbox of ${spec.owner.node} exited: ${stderr.trim() || 'no reason given'}`))));
        socket.on('data', onData);
        socket.once('end', onEnd);
        function done(finish: () => void) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          socket.off('data', onData);
          socket.off('end', onEnd);
          finish();
        }
      });
      socket.resume(); // nothing more comes; never let it hold the socket
      // Read while its socket is open: the holder is alive, so the PID is still its own.
      const start = await processStartTime(pid);
      if (start === undefined) throw new Error(`the sandbox of ${spec.owner.node} exited right after it started`);
      await writeMarker(pid, { ...spec.owner, ...(await harnessIdentity()) });
      return new Holder(pid, start, socket, closed);
    } catch (error) {
      if (pid !== undefined) await new Holder(pid, 0, socket, closed).stop();
      else {
        // Still in bwrap's set-up: EOF ends its `cat` as soon as it runs; the launcher's end kills the rest.
        socket.resume();
        socket.end();
        await closedOrDestroyed(socket, closed);
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
    this.socket.end();
    await closedOrDestroyed(this.socket, this.closed);
    await pollUntil(async () => ((await isGone(this.pid)) ? true : undefined), { what: `the sandbox process ${this.pid} to end`, timeoutMs: 5000 });
  }
}

/** The bash process that started a lab's holders: it waits for them, and they die with it. */
export class Launcher {
  private stderr = '';
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    child.on('error', (error) => (this.stderr += error.message));
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
  }

  /** What bwrap said so far, once the launcher has had its say or has gone (bounded). */
  async stderrSoFar(): Promise<string> {
    await settledWithin(this.exited, 200);
    return this.stderr;
  }

  /** After its holders stopped it exits by itself; one that does not is killed, and with it whatever it still holds. */
  async end(): Promise<void> {
    if (await settledWithin(this.exited, 5000)) return;
    this.child.kill('SIGKILL');
    await settledWithin(this.exited, 5000);
  }
}

/** Whether the promise settled within `ms` (a bound on a wait for an event, never a sleep of its own). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([promise.then(() => false, () => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)))]);
  clearTimeout(timer);
  return !late;
}

/**
 * Waits for a holder's socket to close, which it does once every process of the sandbox is gone;
 * a process that still held it must never hang teardown, so after a while it is dropped.
 */
async function closedOrDestroyed(socket: Socket, closed: Promise<void>): Promise<void> {
  if (!(await settledWithin(closed, 5000))) socket.destroy();
}

/** A process is gone when /proc no longer lists it, or it is a zombie waiting for its reaper. */
async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || / Z /.test(stat.slice(stat.lastIndexOf(')')));
}
