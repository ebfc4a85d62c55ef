// How a program gets into a node: with the other programs asked for in the same turn of the event
// loop, from one host-side bash (a group), or alone, from the lab's standing bash.
//
// Why: Node's spawn forks the whole harness and blocks its event loop until the child has exec'd,
// 1-8 ms each (more as the harness grows), so a 100-node lab's 100 steps, 100 table reads and 99
// pings went out one after another, ~2.4 s of a 4.3 s run, and a small lab's ~25 single commands
// paid it one by one. bash forks from a few MB and does not wait for the exec. Each program is
// still `vxlab-enter ... ARGV` or `nsenter ... setpriv ... ARGV` (sandbox.ts enterArgv), the argv
// the policy checked (policed-node.ts) before it got here; only who forks it changes (and the
// outer setpriv: see groupScript). Each keeps its own stdout, stderr (and stdin when it has input) sockets to vxlab and
// its own process group (`set -m`), so deadlines, Ctrl-C to the program, the output grace and
// SIGKILL to the group work exactly as they did when Node spawned each program itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { constants } from 'node:os';
import { NODE_ENV, closeInheritedFds, diesWithParentArgv } from './sandbox.ts';
import { traceSpawn } from '../../util/spawn-trace.ts';
import { shellWord } from '../ssh/quote.ts';

export type ExitOutcome = { code: number | null; signal: NodeJS.Signals | null } | Error;

/** A started program as SandboxProcess sees it, however it was started. */
export interface Launch {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The group's leader (vxlab-enter or nsenter), once known; never, if it did not start. */
  readonly leader: number | undefined;
  /** Settles once `leader` is known, or known never to come. */
  readonly leaderKnown: Promise<void>;
  readonly exit: Promise<ExitOutcome>;
  /** Both output streams closed: nothing the program left behind holds them. */
  readonly closed: Promise<void>;
}

/** At most this many programs per bash: 3 sockets each, and the script grows with its square (every line closes the others' fds). */
export const GROUP_MAX = 48;

/** The fds of program i in a group's bash: stdout, stderr, then stdin if it has input. */
function fdsOf(i: number, hasInput: boolean): number[] {
  return hasInput ? [3 + 3 * i, 4 + 3 * i, 5 + 3 * i] : [3 + 3 * i, 4 + 3 * i];
}

/**
 * One program's part of a launcher's script (pure): a subshell forks it in a process group of its
 * own (`set -m`), with `stdin` and its own sockets as fds 0-2, closes its copies of `own` (so the
 * program's output closes exactly when it, and what it left, is gone), says `start I PID`, waits
 * for it by its PID and says `end I STATUS` (128+N: killed by signal N) on its stdout; `closeAlso`
 * are fds the subshell must not keep (the other programs'). A subshell per program, not one `wait
 * -n` loop: bash 5.2's `wait -n` loses programs killed by a signal at about the same moment (it
 * reports them as killed jobs and forgets them), which left an interrupted run waiting forever;
 * `wait PID` reports each one (launch.test.ts).
 */
function reportedProgram(index: number, argv: readonly string[], stdin: string, out: number, err: number, own: string, closeAlso: string): string {
  const program = `${argv.map(shellWord).join(' ')} ${stdin} 1>&${out} 2>&${err} ${own}`;
  return `( set -m; ${program} & pid=$!; exec ${own}; echo "start ${index} $pid"; wait "$pid"; echo "end ${index} $?" ) 0</dev/null 2>/dev/null ${closeAlso} &`;
}

/**
 * A group's bash script (pure). Programs are not wrapped in `setpriv --pdeathsig` as a program
 * spawned alone is: bash has it, and were bash to die before its programs, each is still in its
 * node's PID namespace, which dies with the holder (itself tied to vxlab by pdeathsig), and
 * vxlab-enter or nsenter exits with its child. That saves one exec of four per program (perf: process start-up, glibc's
 * CPU feature probing under this VM's cpuid traps, is most of a program's cost here).
 * bash first closes every fd it was not given; program i gets its own sockets as fds 0-2 and every
 * other program's closed (reportedProgram); bash then closes its own copies and waits for every
 * program's subshell.
 */
export function groupScript(items: readonly { argv: readonly string[]; hasInput: boolean }[]): string {
  const all = items.flatMap((item, i) => fdsOf(i, item.hasInput));
  const lines = items.map((item, i) => {
    const own = fdsOf(i, item.hasInput);
    const [out, err, inp] = own;
    const others = all.filter((fd) => !own.includes(fd)).map((fd) => `${fd}>&-`).join(' ');
    return reportedProgram(i, item.argv, inp === undefined ? '0</dev/null' : `0<&${inp}`, out!, err!, own.map((fd) => `${fd}>&-`).join(' '), others);
  });
  lines.push(`exec ${all.map((fd) => `${fd}>&-`).join(' ')}`, 'wait');
  return `${closeInheritedFds(all)}\n${lines.join('\n')}\n`;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/** bash's status of a reaped program as Node's exit: 128+N is "killed by signal N" (no program here exits above 128). */
export function exitFromStatus(status: number): { code: number | null; signal: NodeJS.Signals | null } {
  const signal = status > 128 ? SIGNAL_NAMES.get(status - 128) : undefined;
  return signal ? { code: null, signal } : { code: status, signal: null };
}

class GroupMember implements Launch {
  stdout!: Readable;
  stderr!: Readable;
  leader: number | undefined;
  readonly leaderKnown: Promise<void>;
  readonly exit: Promise<ExitOutcome>;
  closed!: Promise<void>;
  setLeader!: (pid: number | undefined) => void;
  setExit!: (outcome: ExitOutcome) => void;

  constructor(readonly argv: readonly string[], readonly input: string | undefined) {
    this.leaderKnown = new Promise((resolve) => (this.setLeader = (pid) => {
      this.leader ??= pid;
      resolve();
    }));
    this.exit = new Promise((resolve) => (this.setExit = resolve));
  }

  attach(stdout: Socket, stderr: Socket, stdin: Socket | undefined): void {
    this.stdout = stdout;
    this.stderr = stderr;
    // 'close' of a paused stream waits for its reader (SandboxProcess), like a child's 'close'.
    this.closed = Promise.all([stdout, stderr].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())))).then(() => undefined);
    for (const s of [stdout, stderr]) s.on('error', () => undefined);
    if (stdin) {
      stdin.on('error', () => undefined); // a program that exits without reading its input
      stdin.resume(); // nothing comes back on it
      stdin.end(this.input ?? '');
    }
  }
}

/** Programs per standing launcher: each takes three sockets, all passed when bash is spawned. */
export const STANDING_SLOTS = 16;

/** After a standing launcher was killed, how long a program it had been asked for may take to say `start`. */
const UNSTARTED_GRACE_MS = 1000;

/** The fds of slot i in a standing launcher: stdout, stderr, stdin. */
function slotFds(slot: number): [number, number, number] {
  return [3 + 3 * slot, 4 + 3 * slot, 5 + 3 * slot];
}

/**
 * A standing launcher's script (pure): it closes every fd it was not given, then reads requests
 * (a line with a length, then that many bytes of bash, written by standingRequest) and runs each,
 * until its stdin ends. `LC_ALL=C` is a shell variable, never exported: it makes `read -N` count
 * bytes, and reach no program.
 */
export const STANDING_SCRIPT = `${closeInheritedFds(Array.from({ length: STANDING_SLOTS }, (_, slot) => slotFds(slot)).flat())}\nLC_ALL=C\nwhile IFS= read -r length && IFS= read -r -N "$length" request; do eval "$request"; done\n`;

/**
 * What starts a standing launcher's program in `slot` (pure). A wrapper subshell forks the program
 * in a process group of its own (`set -m`), says `start SLOT PID` on the launcher's stdout, waits
 * for it and says `end SLOT STATUS` (128+N: killed by signal N), so the launcher never waits and
 * reads its next request at once. The program gets its slot's sockets as fds 0-2 (or /dev/null as
 * its stdin) and nothing else: the wrapper closes the slots not used yet, the program its own
 * slot's fds once they are 0-2, and the launcher, once the wrapper is forked, its copies of them.
 */
export function standingRequest(slot: number, argv: readonly string[], hasInput: boolean, slots: number): string {
  const [out, err, inp] = slotFds(slot);
  const own = `${out}>&- ${err}>&- ${inp}>&-`;
  const later = Array.from({ length: slots - slot - 1 }, (_, k) => slotFds(slot + 1 + k)).flat().map((fd) => `${fd}>&-`);
  return `${reportedProgram(slot, argv, hasInput ? `0<&${inp}` : '0</dev/null', out, err, own, later.join(' '))}\nexec ${own}\n`;
}

/**
 * A bash that stays up and starts programs one by one as they are asked for, each in the next of
 * its STANDING_SLOTS slots: Node forks once per 16 programs instead of once per program (a fork of
 * the harness costs 1-5 ms of its event loop, growing with its memory). Ends once its slots are used.
 */
class StandingLauncher {
  private used = 0;
  private readonly members: GroupMember[] = [];
  private stderr = '';
  private ended = '';
  /** bash has ended (or never started): it takes no more programs. */
  private dead = false;

  constructor(private readonly child: ChildProcess) {
    // bash gone (EPIPE): it takes no more programs; those it was asked for fail on 'exit' or 'close' below.
    child.stdin!.on('error', () => (this.dead = true));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4096)));
    readControl(child.stdout!, (slot) => this.members[slot]);
    child.once('exit', (code, signal) => {
      this.dead = true;
      this.ended = signal ? `bash was killed by ${signal}` : `bash exited ${code}`;
      // Killed, or failed: a program it never forked would wait for 'close', which the wrappers of
      // its running programs hold off. A wrapper it did fork says `start` within moments.
      if (signal || code !== 0) setTimeout(() => this.over(undefined, (m) => m.leader === undefined), UNSTARTED_GRACE_MS).unref();
    });
    child.once('error', (error) => this.over(error));
    child.once('close', () => this.over());
  }

  static spawn(enter: string | undefined): StandingLauncher {
    const [program, ...args] = diesWithParentArgv(['bash', '-c', STANDING_SCRIPT], enter);
    const child = spawn(program!, args, {
      detached: true, // like a program spawned alone: a terminal's Ctrl-C is the harness's to handle
      env: NODE_ENV,
      stdio: Array.from({ length: 3 + 3 * STANDING_SLOTS }, () => 'pipe' as const),
    });
    return new StandingLauncher(child);
  }

  /** No slot left, or no bash to fill one: the next program needs a new launcher. */
  get full(): boolean {
    return this.used >= STANDING_SLOTS || this.dead;
  }

  take(member: GroupMember): void {
    const slot = this.used++;
    const hasInput = member.input !== undefined && member.input !== '';
    const [out, err, inp] = slotFds(slot).map((fd) => this.child.stdio[fd] as Socket);
    if (!hasInput) inp!.destroy();
    member.attach(out!, err!, hasInput ? inp : undefined);
    this.members[slot] = member;
    traceSpawn(member.argv);
    const request = standingRequest(slot, member.argv, hasInput, STANDING_SLOTS);
    this.child.stdin!.write(`${Buffer.byteLength(request)}\n${request}`);
    if (this.full) this.child.stdin!.end();
  }

  /** Ends the launcher before its slots are used (the lab is going down); its programs run on. */
  end(): void {
    this.child.stdin!.end();
  }

  private over(error?: Error, which: (m: GroupMember) => boolean = () => true): void {
    this.dead = true;
    // A program bash never started or never reaped: bash itself failed (fork, a missing program).
    for (const m of this.members.filter(which)) {
      m.setLeader(undefined);
      m.setExit(error ?? new Error(`the standing launcher ended before this program did (${this.ended || 'bash ended'}): ${this.stderr.trim() || 'no reason given'}`));
    }
  }
}

/** Reads a launcher's `start I PID` and `end I STATUS` lines, for the member `at(I)`. */
function readControl(stdout: Readable, at: (index: number) => GroupMember | undefined): void {
  let control = '';
  stdout.on('data', (chunk: Buffer) => {
    control += chunk.toString('utf8');
    const lines = control.split('\n');
    control = lines.pop()!;
    for (const line of lines) {
      const [what, index, value] = line.split(' ');
      const m = at(Number(index));
      if (!m) continue;
      if (what === 'start') m.setLeader(Number(value));
      else if (what === 'end') m.setExit(exitFromStatus(Number(value)));
    }
  });
}

/**
 * A lab's way of starting programs: what is asked for in one turn of the event loop goes out
 * together, from one bash per GROUP_MAX programs; a program asked for alone goes to the lab's
 * standing launcher.
 */
export class ProgramLauncher {
  private pending: GroupMember[] = [];
  private groups = 0;
  private standing: StandingLauncher | undefined;

  /** `enter`: vxlab-enter, which also gives the launchers' bash its parent-death signal (else setpriv does). */
  constructor(
    private readonly dir: string,
    private readonly enter?: string,
  ) {}

  launch(spawnArgv: readonly string[], input: string | undefined): Promise<Launch> {
    const member = new GroupMember(spawnArgv, input);
    this.pending.push(member);
    const ready = new Promise<Launch>((resolve) => this.readiness.set(member, resolve));
    if (this.pending.length === 1) setImmediate(() => void this.flush());
    return ready;
  }

  private readonly readiness = new WeakMap<GroupMember, (launch: Launch) => void>();

  private async flush(): Promise<void> {
    // Never throws: a group that cannot start fails its programs (startGroup), each with the reason.
    const members = this.pending.splice(0);
    if (members.length === 1) {
      const only = members[0]!;
      try {
        if (!this.standing || this.standing.full) this.standing = StandingLauncher.spawn(this.enter);
        this.standing.take(only);
        this.readiness.get(only)!(only);
      } catch (error) {
        // Out of file descriptors or processes: the program fails with the reason, as a spawn error does.
        this.fail(only, error as Error);
      }
      return;
    }
    for (let start = 0; start < members.length; start += GROUP_MAX) await this.startGroup(members.slice(start, start + GROUP_MAX));
  }

  private async startGroup(members: readonly GroupMember[]): Promise<void> {
    const items = members.map((m) => ({ argv: m.argv, hasInput: m.input !== undefined && m.input !== '' }));
    const script = join(this.dir, `group-${this.groups++}.sh`);
    try {
      await writeFile(script, groupScript(items), { mode: 0o600 });
    } catch (error) {
      for (const m of members) this.fail(m, error as Error);
      return;
    }
    for (const m of members) traceSpawn(m.argv);
    const fds = items.flatMap((item, i) => fdsOf(i, item.hasInput));
    let child: ChildProcess;
    try {
      const [program, ...args] = diesWithParentArgv(['bash', script], this.enter);
      child = spawn(program!, args, {
        detached: true, // like a program spawned alone: a terminal's Ctrl-C is the harness's to handle
        env: NODE_ENV,
        stdio: ['ignore', 'pipe', 'pipe', ...Array.from({ length: Math.max(...fds) - 2 }, (_, k) => (fds.includes(k + 3) ? ('pipe' as const) : ('ignore' as const)))],
      });
    } catch (error) {
      // Out of file descriptors or processes: each program fails with the reason, as a spawn error does.
      for (const m of members) this.fail(m, error as Error);
      return;
    }
    const socketAt = (fd: number) => child.stdio[fd] as Socket;
    members.forEach((m, i) => {
      const [out, err, inp] = fdsOf(i, items[i]!.hasInput);
      m.attach(socketAt(out!), socketAt(err!), inp === undefined ? undefined : socketAt(inp));
      this.readiness.get(m)!(m);
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    readControl(child.stdout!, (index) => members[index]);
    let ended = '';
    child.once('exit', (code, signal) => (ended = signal ? `bash was killed by ${signal}` : `bash exited ${code}`));
    const over = (error?: Error) => {
      // A program bash never started or never reaped: bash itself failed (fork, a missing program).
      for (const m of members) {
        m.setLeader(undefined);
        m.setExit(error ?? new Error(`the group launcher ended before this program did (${ended || 'bash ended'}): ${stderr.trim() || 'no reason given'}`));
      }
    };
    child.once('error', over);
    child.once('close', () => over());
  }

  /** The lab is going down: the standing launcher reads no more requests (its programs run on). */
  end(): void {
    this.standing?.end();
  }

  /** A group that could not start: its programs end at once with the reason (exit code 127 in SandboxProcess). */
  private fail(member: GroupMember, error: Error): void {
    member.setLeader(undefined);
    member.setExit(error);
    this.readiness.get(member)!({ stdout: Readable.from([]), stderr: Readable.from([]), leader: undefined, leaderKnown: Promise.resolve(), exit: member.exit, closed: Promise.resolve() });
  }
}
