// How a program gets into a node: alone (Node spawns setpriv + nsenter), or with the other
// programs asked for in the same turn of the event loop, from one host-side bash (a group).
//
// Why groups: Node's spawn forks the whole harness and blocks its event loop until the child has
// exec'd, 3-8 ms each (more as the harness grows), so a 100-node lab's 100 steps, 100 table reads
// and 99 pings went out one after another, ~2.4 s of a 4.3 s run. bash forks from a few MB and does
// not wait for the exec. Each program is still `nsenter ... setpriv ... ARGV` (sandbox.ts
// enterArgv), the argv the policy checked (policed-node.ts) before it got here; only who forks it
// changes (and the outer setpriv: see groupScript). Each keeps its own stdout, stderr (and stdin when it has input)
// sockets to vxlab and its own process group (bash's `set -m`), so deadlines, Ctrl-C to the
// program, the output grace and SIGKILL to the group work exactly as for a program spawned alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { constants } from 'node:os';
import { NODE_ENV } from './sandbox.ts';
import { traceSpawn } from '../../util/spawn-trace.ts';

export type ExitOutcome = { code: number | null; signal: NodeJS.Signals | null } | Error;

/** A started program as SandboxProcess sees it, however it was started. */
export interface Launch {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The group's leader (nsenter, under the outer setpriv), once known; never, if it did not start. */
  readonly leader: number | undefined;
  /** Settles once `leader` is known, or known never to come. */
  readonly leaderKnown: Promise<void>;
  readonly exit: Promise<ExitOutcome>;
  /** Both output streams closed: nothing the program left behind holds them. */
  readonly closed: Promise<void>;
}

const PREFIX = ['setpriv', '--pdeathsig', 'KILL', '--'];

/** One program, spawned by Node itself: a process group of its own, led by nsenter. */
export function launchAlone(spawnArgv: readonly string[], input: string | undefined): Launch {
  traceSpawn(spawnArgv);
  const child = spawn(PREFIX[0]!, [...PREFIX.slice(1), ...spawnArgv], {
    detached: true,
    env: NODE_ENV,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => undefined); // a program that exits without reading its input
  child.stdin?.end(input);
  const exit = Promise.race([
    new Promise<ExitOutcome>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    new Promise<ExitOutcome>((resolve) => child.once('error', resolve)),
  ]);
  // Listened for from the start: 'close' may come right after 'exit', in the same turn.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { stdout: child.stdout!, stderr: child.stderr!, get leader() { return child.pid; }, leaderKnown: Promise.resolve(), exit, closed };
}

/** At most this many programs per bash: 3 sockets each, and the script grows with its square (every line closes the others' fds). */
export const GROUP_MAX = 48;

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** The fds of program i in a group's bash: stdout, stderr, then stdin if it has input. */
function fdsOf(i: number, hasInput: boolean): number[] {
  return hasInput ? [3 + 3 * i, 4 + 3 * i, 5 + 3 * i] : [3 + 3 * i, 4 + 3 * i];
}

/**
 * A group's bash script (pure). Programs are not wrapped in `setpriv --pdeathsig` as a program
 * spawned alone is: bash has it, and were bash to die before its programs, each is still in its
 * node's PID namespace, which dies with the holder (itself tied to vxlab by pdeathsig), and nsenter
 * exits with its child. That saves one exec of four per program (perf: process start-up, glibc's
 * CPU feature probing under this VM's cpuid traps, is most of a program's cost here).
 * `set -m` gives each program its own process group; program i gets
 * its own sockets as fds 0-2 and every other program's closed, so its output closes exactly when
 * it (and what it left) is gone. bash says `start I PID` when it has forked program i and `end I
 * CODE` when it is reaped (128+N: killed by signal N), on its stdout.
 */
export function groupScript(items: readonly { argv: readonly string[]; hasInput: boolean }[]): string {
  const all = items.flatMap((item, i) => fdsOf(i, item.hasInput));
  const lines = ['set -m', 'declare -A at'];
  items.forEach((item, i) => {
    const own = fdsOf(i, item.hasInput);
    const [out, err, inp] = own;
    const closes = all.filter((fd) => fd !== out && fd !== err && fd !== inp).map((fd) => `${fd}>&-`);
    const stdin = inp === undefined ? '0</dev/null' : `0<&${inp} ${inp}>&-`;
    lines.push(`${item.argv.map(quote).join(' ')} ${stdin} 1>&${out} 2>&${err} ${out}>&- ${err}>&- ${closes.join(' ')} &`);
    lines.push(`at[$!]=${i}; echo "start ${i} $!"`);
  });
  lines.push(`exec ${all.map((fd) => `${fd}>&-`).join(' ')}`);
  lines.push('while :; do pid=; wait -n -p pid; rc=$?; [ -n "$pid" ] || break; echo "end ${at[$pid]} $rc"; unset "at[$pid]"; done');
  // Should `wait -n` give up with programs unreported (bash lost track of a job), each is waited
  // for by its PID: bash keeps a reaped background program's status for `wait PID`.
  lines.push('for pid in "${!at[@]}"; do wait "$pid"; rc=$?; echo "end ${at[$pid]} $rc"; done');
  return `${lines.join('\n')}\n`;
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

/**
 * A lab's way of starting programs: what is asked for in one turn of the event loop goes out
 * together, from one bash per GROUP_MAX programs; a program asked for alone is spawned alone.
 */
export class ProgramLauncher {
  private pending: GroupMember[] = [];
  private groups = 0;

  constructor(private readonly dir: string) {}

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
        this.readiness.get(only)!(launchAlone(only.argv, only.input));
      } catch (error) {
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
      child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'bash', script], {
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
    let control = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      control += chunk.toString('utf8');
      const lines = control.split('\n');
      control = lines.pop()!;
      for (const line of lines) {
        const [what, index, value] = line.split(' ');
        const m = members[Number(index)];
        if (!m) continue;
        if (what === 'start') m.setLeader(Number(value));
        else if (what === 'end') m.setExit(exitFromStatus(Number(value)));
      }
    });
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

  /** A group that could not start: its programs end at once with the reason (exit code 127 in SandboxProcess). */
  private fail(member: GroupMember, error: Error): void {
    member.setLeader(undefined);
    member.setExit(error);
    this.readiness.get(member)!({ stdout: Readable.from([]), stderr: Readable.from([]), leader: undefined, leaderKnown: Promise.resolve(), exit: member.exit, closed: Promise.resolve() });
  }
}
