// One SSH host as an executor: the system's OpenSSH client, one master connection per host
// (ControlMaster, its socket in the run's private directory) that every command rides on.
// Remote commands are argv quoted for the remote shell (quote.ts), started by a fixed wrapper
// that reports its PID, so deadlines and tcpdump's SIGUSR1 reach the program itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { BackgroundProcess, DEFAULT_COMMAND_TIMEOUT_MS, type ExecOptions, type ExecResult } from '../../util/process.ts';
import { COMMAND_OUTPUT_LIMIT, type OutputLimit } from '../../util/bounded-output.ts';
import { onAbort } from '../../util/abort-fanout.ts';
import { DeadlineError, pollUntil } from '../../util/poll.ts';
import type { SshHost } from './hosts.ts';
import { shellCommand } from './quote.ts';
import { traceSpawn } from '../../util/spawn-trace.ts';
import { SSH_CONTAINMENT_OPTIONS } from './ssh-config.ts';

/** ssh's own exit code when the connection, not the command, failed. */
export const SSH_FAILED = 255;
const KILL_AFTER_MS = 1000;
const PID_LINE = /^vxlab-pid (\d+)\n/;
// The program gets a clean, predictable environment (C locale: checks read its output).
const CLEAN_ENV = 'env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C';
/**
 * The wrapper runs a sequence of commands ("parts") on the host, in order, each to its end,
 * stopping at the first that does not exit 0: a step's batch in one round trip, where each part
 * still gets its own exit status. Each part is four words: its input, a marker path, a condition,
 * and its argv quoted by quote.ts (run through `eval "exec ..."`, so the part's process is the
 * program itself, never a shell around it).
 * Every program takes its signals as names on the channel's stdin (no ssh round trip each), and is
 * SIGKILLed when the channel closes (its harness killed, the master gone), so nothing a run started
 * outlives it, even a program that never writes again. Its input comes as a word (through printf),
 * so stdin stays the channel's. The wrapper exits with the last part's status (128+N: signal N).
 * (A program in the background of a non-interactive sh ignores SIGINT unless it sets its own
 * handler, as ping does; a deadline's SIGKILL follows a second later anyway.)
 * A part with a marker path has its marker on stdin first, before any signal (its length in bytes
 * on a line, then its bytes, in the parts' order): the marker the run will have if that part
 * succeeds. It is renamed into place right after the part's exit 0 when the host shows the names
 * as the marker says (the condition: an exit 0 alone has lied, `ip -V link add`), so a harness
 * killed at any moment after a part made its names still leaves them in the marker.
 * `vxlab-parts PID` then each part's status ends stderr: `0:marked`, `0:unverified` (an exit 0
 * the host does not bear out: marker left as it was), or the exit status alone.
 */
const WRAPPER = [
  // First, before the program can write: where its stderr starts (after what sudo or ssh said).
  'echo "vxlab-pid $$" >&2',
  'exec 3<&0',
  // Every marker first: the signal readers below read the same stdin.
  // umask in a subshell: the program's own files (ip netns add's /run/netns) keep the host's modes.
  'j=0',
  'for a; do',
  '  if [ $((j % 4)) = 1 ] && [ -n "$a" ]; then t="$a.$$.$((j / 4)).new"; read -r n <&3 && (umask 077 && head -c "$n" >"$t") <&3 || rm -f "$t"; fi',
  '  j=$((j + 1))',
  'done',
  'x=0; r=; c=0',
  'while [ $# -ge 4 ]; do',
  '  i=$1; m=$2; v=$3; w=$4; shift 4; t="$m.$$.$x.new"; x=$((x + 1))',
  '  [ -z "$m" ] || [ -f "$t" ] || m=',
  `  if [ -n "$i" ]; then printf '%s' "$i" | eval "exec ${CLEAN_ENV} $w" 3<&- & p=$!; else eval "exec ${CLEAN_ENV} $w" </dev/null 3<&- & p=$!; fi`,
  '  { while read -r s; do kill -s "$s" "$p" 2>/dev/null; done; kill -s KILL "$p" 2>/dev/null; } <&3 & k=$!',
  '  wait "$p"; c=$?',
  '  kill "$k" 2>/dev/null',
  '  o=$c',
  '  if [ -n "$m" ]; then',
  '    if [ "$c" != 0 ]; then rm -f "$t"',
  '    elif ! { [ -z "$v" ] || eval "$v"; }; then rm -f "$t"; o="$c:unverified"',
  '    elif mv -f "$t" "$m"; then o="$c:marked"',
  '    else rm -f "$t"; fi',
  '  fi',
  '  r="$r $o"',
  // After a part the host does not bear out, the later parts' markers would claim its names.
  '  case $o in *:unverified) break ;; esac',
  '  [ "$c" = 0 ] || break',
  'done',
  // The markers of parts never reached are not left behind.
  'while [ $# -ge 4 ]; do [ -z "$2" ] || rm -f "$2.$$.$x.new"; x=$((x + 1)); shift 4; done',
  'echo "vxlab-parts $$$r" >&2',
  'exit "$c"',
].join('\n');

/** What the wrapper did with a marker: put it in place, found the host not as it says (left it), or neither (no word: see the caller's fallback). */
export type Marked = 'marked' | 'unverified' | 'no';

/** A marker to put in place on the host if, and only if, the program exits 0 and `verify` holds there (see WRAPPER). */
export interface MarkOnSuccess {
  path: string;
  text: string;
  /** A sh condition (words quoted by quote.ts) that holds when the host shows what the marker says. */
  verify?: string;
}

/** Text as the host's scripts read it from stdin: its length in bytes on a line, then its bytes (`read -r n; head -c "$n"`). */
export const lengthFramed = (text: string): string => `${Buffer.byteLength(text)}\n${text}`;

/** One command of a sequence the wrapper runs in one round trip. */
export interface RemotePart {
  argv: readonly string[];
  input?: string;
  mark?: MarkOnSuccess;
}

/** How a part of the sequence ended, as the wrapper said. */
export interface PartOutcome {
  exitCode: number;
  marked: Marked;
}

const PARTS_LINE = /(?:^|\n)vxlab-parts (\d+)((?: \d+(?::marked|:unverified)?)*)\n$/;

/** The wrapper's last stderr line, if it is there and names `pid`: stderr without it, and each part's outcome (pure). */
export function partsIn(stderr: string, pid: number | undefined): { stderr: string; outcomes?: PartOutcome[] } {
  const m = PARTS_LINE.exec(stderr);
  if (!m || pid === undefined || Number(m[1]) !== pid) return { stderr };
  const outcomes = m[2]!.trim().split(' ').filter(Boolean).map((word) => {
    const [code, marked] = word.split(':');
    return { exitCode: Number(code), marked: (marked ?? 'no') as Marked };
  });
  return { stderr: stderr.slice(0, m.index + (m[0].startsWith('\n') ? 1 : 0)), outcomes };
}


/** ssh's own lines at LogLevel VERBOSE, without the informational ones (what failed is left). */
function sshComplaints(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Authenticated to |Transferred: |Bytes per second: )/.test(l));
}

/** Why a master exited: ssh's last complaint, or its exit code. */
function masterFailure(stderr: string, code: number | null): string {
  return sshComplaints(stderr).at(-1) ?? `ssh exited with ${code}`;
}

export interface ConnectionOptions {
  /** The master's socket: a path in a directory only this run can enter. */
  controlPath: string;
  /** ssh -F FILE; undefined lets ssh read ~/.ssh/config. */
  configFile?: string;
}

export class SshConnection {
  private master: ChildProcess | undefined;
  private opening: Promise<void> | undefined;
  private masterStderr = '';

  constructor(
    readonly host: SshHost,
    private readonly options: ConnectionOptions,
  ) {}

  /** Where this host is, for messages: user@host:port (the hosts file's words). */
  get destination(): string {
    return `${this.host.user ? `${this.host.user}@` : ''}${this.host.host}${this.host.port ? `:${this.host.port}` : ''}`;
  }

  /** ssh's options for this host; host key checking stays as the user's ssh_config (or vagrant's) says. */
  sshArgs(extra: readonly string[] = []): string[] {
    const h = this.host;
    return [
      ...(this.options.configFile ? ['-F', this.options.configFile] : []),
      '-S', this.options.controlPath,
      '-o', 'BatchMode=yes',
      ...SSH_CONTAINMENT_OPTIONS,
      '-o', 'ConnectTimeout=10',
      '-o', 'ServerAliveInterval=5',
      '-o', 'ServerAliveCountMax=3',
      ...(h.user ? ['-l', h.user] : []),
      ...(h.port ? ['-p', String(h.port)] : []),
      ...(h.identity ? ['-i', h.identity] : []),
      ...extra,
      '--', h.host,
    ];
  }

  /** Opens the master connection; resolves once it answers, or rejects with ssh's own words. */
  async open(timeoutMs = 20_000): Promise<void> {
    // One handshake at a time: a second open while one is under way waits for it.
    if (this.opening) return this.opening;
    if (this.master && this.master.exitCode === null && this.master.signalCode === null) return;
    this.opening = this.openMaster(timeoutMs).finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async openMaster(timeoutMs: number): Promise<void> {
    this.masterStderr = '';
    // A socket left by a master that died would make the new one run without multiplexing
    // ("already exists"), and would look like it ready: only the new master's socket counts.
    rmSync(this.options.controlPath, { force: true });
    // setpriv --pdeathsig: if the harness is killed, so is the master (clean restores later).
    // LogLevel=VERBOSE: ssh's reasons for a failure come back in its stderr.
    const masterArgv = ['setpriv', '--pdeathsig', 'KILL', '--', 'ssh', ...this.sshArgs(['-M', '-N', '-o', 'ControlPersist=no', '-o', 'LogLevel=VERBOSE'])];
    traceSpawn(masterArgv);
    const master = spawn(masterArgv[0]!, masterArgv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.master = master;
    master.stderr!.on('data', (chunk: Buffer) => (this.masterStderr += chunk.toString()));
    // A master that cannot start (no setpriv or ssh yet: open may come before the prerequisite check) is gone too.
    let gone = false;
    master.once('exit', () => (gone = true));
    master.once('error', (error) => {
      this.masterStderr += `${error.message}\n`;
      gone = true;
    });
    try {
      // OpenSSH listens on a temporary name and links it to the ControlPath only then (mux.c,
      // muxserver_listen), after the login: the socket's name appearing means the master takes
      // commands. Looking costs a stat, where `ssh -O check` costs a process.
      await pollUntil(
        () => {
          if (gone) throw new Error(masterFailure(this.masterStderr, master.exitCode));
          return existsSync(this.options.controlPath) ? true : undefined;
        },
        { what: `an SSH connection to ${this.destination}`, timeoutMs, maxIntervalMs: 5 },
      );
    } catch (error) {
      master.kill('SIGKILL');
      if (error instanceof DeadlineError) throw new Error(`${error.message}${this.masterStderr.trim() ? `: ${sshComplaints(this.masterStderr).join('\n')}` : ''}`, { cause: error });
      throw error;
    }
  }

  /** Ends the master connection (and with it any command still on it). */
  async close(): Promise<void> {
    const master = this.master;
    if (!master || master.exitCode !== null || master.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => master.once('exit', () => resolve()));
    // SIGTERM ends ssh's client loop as `ssh -O exit` would (commands still on it end, the socket
    // is unlinked), without a client process of its own; one still in its handshake just dies.
    master.kill('SIGTERM');
    const timer = setTimeout(() => master.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  /** The remote command line for the parts: through `sudo -n` when the hosts file says so. */
  remoteCommand(parts: readonly RemotePart[]): string {
    const words = parts.flatMap((p) => [p.input ?? '', p.mark?.path ?? '', p.mark?.verify ?? '', shellCommand(p.argv)]);
    return shellCommand([...(this.host.sudo ? ['sudo', '-n', '--'] : []), 'sh', '-c', WRAPPER, 'vxlab', ...words]);
  }

  /** Starts argv on the host; the process's stdout is its output (a capture's pcap). */
  start(argv: readonly string[], input?: string, stdoutLimit?: OutputLimit): SshProcess {
    return new SshProcess(this, [{ argv, ...(input !== undefined ? { input } : {}) }], stdoutLimit);
  }

  /**
   * Runs argv on the host to its end: Ctrl-C at the deadline, SIGKILL a second later. With
   * `mark`, `marked` says whether the host's marker was put in place after the program's exit 0.
   */
  async exec(argv: readonly string[], options: ExecOptions & { mark?: MarkOnSuccess } = {}): Promise<ExecResult & { marked: Marked }> {
    const { mark, input, ...rest } = options;
    const { outcomes, ...result } = await this.execParts([{ argv, input: input ?? '', ...(mark ? { mark } : {}) }], rest);
    if (options.signal?.aborted) throw options.signal.reason;
    return { ...result, marked: outcomes?.[0]?.marked ?? 'no' };
  }

  /**
   * Runs the parts on the host in one round trip, in order, stopping at the first that fails; the
   * result is theirs joined (the last one's exit). `outcomes` says how each part that ran ended;
   * undefined when the wrapper could not say (the connection lost, the wrapper killed). At the
   * deadline, and when `signal` aborts: Ctrl-C, SIGKILL a second later through the channel, and
   * only a second after that the local client too, so that the wrapper still says how each part
   * ended (markers included). An abort is the caller's to act on: the result comes back.
   */
  async execParts(parts: readonly RemotePart[], options: ExecOptions = {}): Promise<ExecResult & { outcomes?: PartOutcome[] }> {
    options.signal?.throwIfAborted();
    const program = new SshProcess(this, parts, COMMAND_OUTPUT_LIMIT);
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      program.signal('SIGINT');
      timers.push(setTimeout(() => {
        program.signal('SIGKILL');
        timers.push(setTimeout(() => program.kill(), KILL_AFTER_MS));
      }, KILL_AFTER_MS));
    };
    const unsubscribe = options.signal ? onAbort(options.signal, stop) : () => undefined;
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
    );
    try {
      const result = await program.exited;
      return { ...result, stdout: program.stdoutText, timedOut, ...(program.outcomes ? { outcomes: program.outcomes } : {}) };
    } finally {
      for (const timer of timers) clearTimeout(timer);
      unsubscribe();
    }
  }

  /** ssh's arguments for vxlab's own plumbing: argv in the C locale, through `sudo -n` when the hosts file says so. */
  plumbingArgs(argv: readonly string[]): string[] {
    const remote = shellCommand([...(this.host.sudo ? ['sudo', '-n', '--'] : []), 'env', 'LC_ALL=C', ...argv]);
    return [...this.sshArgs(['-o', 'ControlMaster=no']), remote];
  }

  /** vxlab's own plumbing on the host (state reads, restore, markers): no wrapper, no PID line. */
  plainExec(argv: readonly string[], input?: string, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Promise<ExecResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      const args = this.plumbingArgs(argv);
      traceSpawn(['ssh', ...args]);
      const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (e) => resolve({ exitCode: 127, stdout: '', stderr: e.message, durationMs: 0, timedOut: false }));
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ exitCode: code ?? undefined, stdout, stderr, durationMs: performance.now() - started, timedOut: false });
      });
    });
  }
}

/**
 * vxlab's own plumbing on the host, held open part way: `until(mark)` gives stdout up to a line
 * `mark` (undefined if the script ended first: `finish` then gives its result), and `finish(input)`
 * writes the rest of its stdin, ends it and waits for the end. A preflight read that a claim ends.
 */
export class HeldCommand {
  private readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private readonly started = performance.now();
  private readonly ended: Promise<ExecResult>;
  private waiters: (() => void)[] = [];

  constructor(connection: SshConnection, argv: readonly string[]) {
    const args = connection.plumbingArgs(argv);
    traceSpawn(['ssh', ...args]);
    this.child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => {
      this.stdout += c.toString();
      for (const wake of this.waiters) wake();
    });
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child.stdin!.on('error', () => undefined);
    this.ended = new Promise((resolve) => {
      this.child.once('error', (e) => resolve({ exitCode: 127, stdout: '', stderr: e.message, durationMs: 0, timedOut: false }));
      this.child.once('close', (code) => resolve({ exitCode: code ?? undefined, stdout: this.stdout, stderr: this.stderr, durationMs: performance.now() - this.started, timedOut: false }));
    });
    void this.ended.then(() => this.waiters.forEach((wake) => wake()));
  }

  /** stdout before the line `mark`, once it has come; undefined when the command ended without it. */
  async until(mark: string, timeoutMs: number): Promise<string | undefined> {
    let ended = false;
    void this.ended.then(() => (ended = true));
    const deadline = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      for (;;) {
        const at = this.stdout.indexOf(`\n${mark}\n`);
        if (at >= 0) return this.stdout.slice(0, at + 1);
        if (this.stdout.startsWith(`${mark}\n`)) return '';
        if (ended) return undefined;
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        this.waiters = [];
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /** What the command has written on stderr so far (sudo's or ssh's words, say). */
  get stderrSoFar(): string {
    return this.stderr;
  }

  /** Writes `input` (none: just ends stdin), ends stdin, and waits for the end: the whole stdout and stderr. */
  finish(input = '', timeoutMs = 30_000): Promise<ExecResult> {
    this.child.stdin!.end(input);
    const deadline = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    return this.ended.finally(() => clearTimeout(deadline));
  }
}

/** A program on an SSH host, seen through its local ssh client process. */
export class SshProcess extends BackgroundProcess {
  private readonly child: ChildProcess;
  private ended = false;
  private pidLine = '';
  private remotePid: number | undefined;
  readonly exited: Promise<ExecResult>;

  /** How each part ended, as the wrapper's last stderr line said (once exited). */
  outcomes: PartOutcome[] | undefined;

  constructor(
    private readonly connection: SshConnection,
    parts: readonly RemotePart[],
    stdoutLimit?: OutputLimit,
  ) {
    super(parts.length === 1 ? parts[0]!.argv : parts.flatMap((p) => p.argv), stdoutLimit);
    const args = [...connection.sshArgs(['-o', 'ControlMaster=no']), connection.remoteCommand(parts)];
    traceSpawn(['ssh', ...args]);
    this.child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // Every marker before any signal line: the wrapper reads them all first.
    for (const { mark } of parts) if (mark) this.child.stdin!.write(lengthFramed(mark.text));
    this.child.stdout!.on('data', (chunk: Buffer) => this.receiveStdout(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.fromStderr(chunk));
    // stdin stays open: signals go that way, and its end (this harness gone) ends the program.
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.ended = true;
        resolve({ exitCode: 127, stdout: '', stderr: e.message, durationMs: performance.now() - this.started, timedOut: false });
      });
      this.child.once('close', (code) => {
        this.ended = true;
        if (this.remotePid === undefined && this.pidLine) this.receiveStderr(Buffer.from(this.pidLine));
        this.outcomes = partsIn(super.stderr, this.remotePid).outcomes;
        resolve({ exitCode: code ?? undefined, stdout: '', stderr: this.stderr, durationMs: performance.now() - this.started, timedOut: false });
      });
    });
  }

  /** The wrapper's first stderr line names the remote PID; the rest is the program's. */
  private fromStderr(chunk: Buffer): void {
    if (this.remotePid !== undefined) return this.receiveStderr(chunk);
    this.pidLine += chunk.toString('latin1');
    const m = PID_LINE.exec(this.pidLine);
    if (!m) {
      if (this.pidLine.includes('\n')) {
        // sudo or ssh said something before the wrapper ran: pass it on as it is.
        this.receiveStderr(Buffer.from(this.pidLine, 'latin1'));
        this.pidLine = '';
      }
      return;
    }
    this.remotePid = Number(m[1]);
    const rest = this.pidLine.slice(m[0].length);
    this.pidLine = '';
    if (rest) this.receiveStderr(Buffer.from(rest, 'latin1'));
  }

  get running(): boolean {
    return !this.ended;
  }

  /** The program's stderr, without the wrapper's last line (its parts' outcomes). */
  override get stderr(): string {
    return partsIn(super.stderr, this.remotePid).stderr;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.ended || !this.child.stdin!.writable) return;
    this.child.stdin!.write(`${signal.replace(/^SIG/, '')}\n`);
  }

  /** SIGKILL to the remote program and the local client. */
  kill(): void {
    this.signal('SIGKILL');
    if (!this.ended) this.child.kill('SIGKILL');
  }

  override async stop(graceMs = 2000): Promise<ExecResult> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
