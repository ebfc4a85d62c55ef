// A program inside a node's sandbox. vxlab-enter (or nsenter) has to fork to enter the node's PID
// namespace, so the program is its child: a signal meant for the program (Ctrl-C at a deadline, SIGUSR1 to
// tcpdump) goes to that child, found by its parent PID. Each program starts its own process
// group, and a hard stop kills the whole group: every process the command started, the children
// an `ip -batch` forked and left behind included.
import { readdirSync, readFileSync } from 'node:fs';
import { BackgroundProcess, DEFAULT_COMMAND_TIMEOUT_MS, type ExecOptions, type ExecResult } from '../../util/process.ts';
import { onAbort } from '../../util/abort-fanout.ts';
import { COMMAND_OUTPUT_LIMIT, type OutputLimit } from '../../util/bounded-output.ts';
import type { Launch } from './launch.ts';

/** How long a program's output may stay open after it exited, before its group is killed. */
const OUTPUT_GRACE_MS = 1000;
/** Between Ctrl-C at a deadline and SIGKILL to the whole group. */
const KILL_AFTER_MS = 1000;

/** The parent PID in /proc/PID/stat, if that process exists. */
function parentOf(pid: number | string): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone, or never was
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** PIDs after the parent's tried first: vxlab-enter and nsenter fork at once, so its child is almost always among them. */
const NEXT_PIDS_TRIED = 64;

/** The PID of the first process whose parent is `parent`. */
function childOf(parent: number): number | undefined {
  // Reading every process's stat costs ~1 ms per hundred processes, on the event loop, per signal.
  for (let pid = parent + 1; pid <= parent + NEXT_PIDS_TRIED; pid++) if (parentOf(pid) === parent) return pid;
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && parentOf(entry) === parent) return Number(entry);
  }
  return undefined;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export class SandboxProcess extends BackgroundProcess {
  private launched: Launch | undefined;
  private readonly launching: Promise<Launch>;
  private programPid: number | undefined;
  private ended = false;
  readonly exited: Promise<ExecResult>;

  /** `argv` is what runs in the node; `launching` is how it got there (launch.ts). */
  constructor(argv: readonly string[], launching: Launch | Promise<Launch>, stdoutLimit?: OutputLimit) {
    super(argv, stdoutLimit);
    this.launching = Promise.resolve(launching);
    this.exited = this.waitForEnd();
  }

  private async waitForEnd(): Promise<ExecResult> {
    const launch = await this.launching;
    this.launched = launch;
    launch.stdout.on('data', (chunk: Buffer) => this.receiveStdout(chunk));
    launch.stderr.on('data', (chunk: Buffer) => this.receiveStderr(chunk));
    const { closed } = launch;
    const outcome = await launch.exit;
    if (outcome instanceof Error) {
      this.ended = true;
      return { exitCode: 127, stdout: '', stderr: outcome.message, durationMs: performance.now() - this.started, timedOut: false };
    }
    // Output stays open while anything the program left behind holds it: give it a moment, then end the group.
    let timer: NodeJS.Timeout | undefined;
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    // After a stalled event loop the timer runs before the pipes' pending EOF is read (timers come
    // before I/O in a loop turn): let I/O run first (setImmediate comes after it), or the output of a
    // program that ended in time would be cut (seen once in CI: a ping's whole output lost, exit 0).
    const graceOver = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    const lingering = await Promise.race([closed.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => void graceOver().then(() => resolve(!isClosed)), OUTPUT_GRACE_MS)))]);
    clearTimeout(timer);
    if (lingering) {
      this.killGroup();
      launch.stdout.destroy();
      launch.stderr.destroy();
    }
    this.ended = true;
    return { exitCode: outcome.code ?? undefined, stdout: '', stderr: this.stderr, durationMs: performance.now() - this.started, timedOut: false };
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Signals the program itself; before it was forked, the one entering it (whose death ends it too). */
  signal(signal: NodeJS.Signals): void {
    if (this.ended) return;
    // Not started yet (its group's bash has not forked it): the signal lands once it has.
    if (this.launched?.leader === undefined) return void this.whenLed(() => this.signal(signal));
    const leader = this.launched.leader;
    this.programPid ??= childOf(leader);
    kill(this.programPid ?? leader, signal);
  }

  /** SIGKILL to every process of the program's group, wherever in the node they ended up. */
  killGroup(): void {
    if (this.launched?.leader === undefined) return void this.whenLed(() => this.killGroup());
    kill(-this.launched.leader, 'SIGKILL');
  }

  /** Runs `then` once the program's leader is known (never, if it never started). */
  private whenLed(then: () => void): void {
    void this.launching.then(async (launch) => {
      await launch.leaderKnown;
      if (launch.leader !== undefined && !this.ended) then();
    });
  }

  override async stop(graceMs = 2000): Promise<ExecResult> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.killGroup(), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs a program in a node to its end: Ctrl-C at the deadline, then SIGKILL to its whole group. */
export async function execInSandbox(argv: readonly string[], launch: (input: string) => Launch | Promise<Launch>, options: ExecOptions = {}): Promise<ExecResult> {
  options.signal?.throwIfAborted();
  const program = new SandboxProcess(argv, launch(options.input ?? ''), COMMAND_OUTPUT_LIMIT);
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  const unsubscribe = options.signal ? onAbort(options.signal, () => program.killGroup()) : () => undefined;
  timers.push(
    setTimeout(() => {
      timedOut = true;
      program.signal('SIGINT');
      timers.push(setTimeout(() => program.killGroup(), KILL_AFTER_MS));
    }, options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
  );
  try {
    const result = await program.exited;
    if (options.signal?.aborted) throw options.signal.reason;
    return { ...result, stdout: program.stdoutText, timedOut };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    unsubscribe();
  }
}
