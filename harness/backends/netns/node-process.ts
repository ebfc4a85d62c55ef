// A program inside a node's sandbox. nsenter has to fork to enter the node's PID namespace, so the
// program is nsenter's child: a signal meant for the program (Ctrl-C at a deadline, SIGUSR1 to
// tcpdump) goes to that child, found by its parent PID. Each program starts its own process
// group, and a hard stop kills the whole group: every process the command started, the children
// an `ip -batch` forked and left behind included.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { BackgroundProcess, DEFAULT_COMMAND_TIMEOUT_MS, type ExecOptions, type ExecResult } from '../../util/process.ts';
import { onAbort } from '../../util/abort-fanout.ts';
import { COMMAND_OUTPUT_LIMIT, type OutputLimit } from '../../util/bounded-output.ts';
import { NODE_ENV } from './sandbox.ts';
import { traceSpawn } from '../../util/spawn-trace.ts';

/** How long a program's output may stay open after it exited, before its group is killed. */
const OUTPUT_GRACE_MS = 1000;
/** Between Ctrl-C at a deadline and SIGKILL to the whole group. */
const KILL_AFTER_MS = 1000;

/** The PID of the first process whose parent is `parent` (from /proc/PID/stat). */
function childOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === parent) return Number(entry);
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
  private readonly child: ChildProcess;
  private programPid: number | undefined;
  private ended = false;
  readonly exited: Promise<ExecResult>;

  /** `argv` is what runs in the node; `spawnArgv` is how it gets there (sandbox.ts enterArgv). */
  constructor(argv: readonly string[], spawnArgv: readonly string[], input?: string, stdoutLimit?: OutputLimit) {
    super(argv, stdoutLimit);
    traceSpawn(spawnArgv);
    this.child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...spawnArgv], {
      detached: true, // a process group of its own, led by nsenter
      env: NODE_ENV,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.receiveStdout(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.receiveStderr(chunk));
    this.child.stdin?.on('error', () => undefined); // a program that exits without reading its input
    this.child.stdin?.end(input);
    this.exited = this.waitForEnd();
  }

  private async waitForEnd(): Promise<ExecResult> {
    const spawnError = new Promise<Error>((resolve) => this.child.once('error', resolve));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // Listened for from the start: 'close' may come right after 'exit', in the same turn.
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    const outcome = await Promise.race([exit, spawnError]);
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
      this.child.stdout!.destroy();
      this.child.stderr!.destroy();
    }
    this.ended = true;
    return { exitCode: outcome.code ?? undefined, stdout: '', stderr: this.stderr, durationMs: performance.now() - this.started, timedOut: false };
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Signals the program itself; before nsenter has forked it, nsenter (whose death ends it too). */
  signal(signal: NodeJS.Signals): void {
    const leader = this.child.pid;
    if (this.ended || leader === undefined) return;
    this.programPid ??= childOf(leader);
    kill(this.programPid ?? leader, signal);
  }

  /** SIGKILL to every process of the program's group, wherever in the node they ended up. */
  killGroup(): void {
    if (this.child.pid !== undefined) kill(-this.child.pid, 'SIGKILL');
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
export async function execInSandbox(argv: readonly string[], spawnArgv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  options.signal?.throwIfAborted();
  const program = new SandboxProcess(argv, spawnArgv, options.input ?? '', COMMAND_OUTPUT_LIMIT);
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
