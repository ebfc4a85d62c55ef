// Running programs as argument vectors (never through a shell), with results instead of throws.
import { execa, type ResultPromise } from 'execa';
import { childSignal } from './abort-fanout.ts';
import { BoundedOutput, CAPTURE_OUTPUT_LIMIT, COMMAND_OUTPUT_LIMIT, type OutputLimit } from './bounded-output.ts';
import { DeadlineError, pause } from './poll.ts';
import { traceSpawn } from './spawn-trace.ts';

export interface ExecResult {
  /** Undefined when the process was killed by a signal. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Working directory (execArgv only). */
  cwd?: string;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

export async function execArgv(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  using cancel = childSignal(options.signal);
  const stdout = new BoundedOutput(COMMAND_OUTPUT_LIMIT);
  const stderr = new BoundedOutput(COMMAND_OUTPUT_LIMIT);
  traceSpawn(argv);
  const subprocess = execa(argv[0]!, argv.slice(1), {
    input: options.input ?? '',
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    timeout: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // At the deadline, Ctrl-C first: programs such as ping then flush and say what they saw.
    killSignal: 'SIGINT',
    forceKillAfterDelay: 1000,
    cancelSignal: cancel.signal,
    reject: false,
    // Not buffered by execa: kept within bounds while the program runs.
    buffer: false,
    encoding: 'buffer',
  });
  subprocess.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  subprocess.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const result = await subprocess;
  if (options.signal?.aborted) throw options.signal.reason;
  if (result.failed && result.exitCode === undefined && !result.timedOut && !result.isTerminated) {
    // The program could not be started at all (ENOENT and the like).
    return { exitCode: 127, stdout: '', stderr: String(result.originalMessage ?? result.message ?? 'could not start'), durationMs: performance.now() - started, timedOut: false };
  }
  return {
    exitCode: result.exitCode,
    stdout: stdout.text(),
    stderr: stderr.text(),
    durationMs: performance.now() - started,
    timedOut: result.timedOut,
  };
}

/** A long-running program (tcpdump) whose output we read while it runs; subclasses say where it runs. */
export abstract class BackgroundProcess {
  private readonly stdoutOutput: BoundedOutput;
  private readonly stderrOutput = new BoundedOutput(COMMAND_OUTPUT_LIMIT);
  protected readonly started = performance.now();
  abstract readonly exited: Promise<ExecResult>;
  abstract get running(): boolean;
  /** Sends a signal if the process still runs; never throws. */
  abstract signal(signal: NodeJS.Signals): void;

  /** stdout is a capture's pcap unless said otherwise (a command's text output). */
  constructor(
    readonly argv: readonly string[],
    stdoutLimit: OutputLimit = CAPTURE_OUTPUT_LIMIT,
  ) {
    this.stdoutOutput = new BoundedOutput(stdoutLimit);
  }

  protected receiveStdout(chunk: Buffer): void {
    this.stdoutOutput.push(chunk);
    this.notifyOutput('stdout');
  }

  /** Woken as soon as output arrives (waitForStderr, a watched state window), instead of at a next poll. */
  private readonly outputListeners = new Map<() => void, 'any' | 'stderr'>();

  protected receiveStderr(chunk: Buffer): void {
    this.stderrOutput.push(chunk);
    this.notifyOutput('stderr');
  }

  private notifyOutput(stream: 'stdout' | 'stderr'): void {
    for (const [listener, wants] of [...this.outputListeners]) if (wants === 'any' || wants === stream) listener();
  }

  /** Calls `listener` whenever the program writes (to stderr only, if said); returns the unsubscribe. */
  onOutput(listener: () => void, stream: 'any' | 'stderr' = 'any'): () => void {
    this.outputListeners.set(listener, stream);
    return () => void this.outputListeners.delete(listener);
  }

  /** How many bytes the program has written to stdout and stderr together, kept or not. */
  get outputWritten(): number {
    return this.stdoutOutput.received + this.stderrOutput.received;
  }

  get stderr(): string {
    return this.stderrOutput.text();
  }

  /** How many bytes of stderr the program has written, kept or not: an offset for waitForStderr. */
  get stderrWritten(): number {
    return this.stderrOutput.received;
  }

  get stdout(): Buffer {
    return this.stdoutOutput.bytes();
  }

  /** stdout as text, with a line saying what was cut if it outgrew its limit. */
  get stdoutText(): string {
    return this.stdoutOutput.text();
  }

  /** Bytes of stdout dropped because they outgrew its limit. */
  get stdoutCut(): number {
    return this.stdoutOutput.cut;
  }

  /** Waits until stderr (from byte `fromOffset` on, see stderrWritten) matches, or the process ends, or the deadline passes. */
  async waitForStderr(pattern: RegExp, options: { timeoutMs: number; fromOffset?: number; what: string }): Promise<RegExpExecArray> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stderrOutput.since(options.fromOffset ?? 0));
      if (match) return match;
      if (!this.running) throw new Error(`${this.argv[0]} exited before ${options.what}: ${this.stderr.trim() || 'no output'}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        const error = new DeadlineError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
        throw new Error(`${error.message}; ${this.argv[0]} printed: ${this.stderr.trim() || 'nothing'}`, { cause: error });
      }
      // Woken by new output; the 20 ms bound only notices an exit (which writes nothing) in time.
      // stderr only: a capture's pcap arrives on stdout, packet by packet.
      await pause(Math.min(left, 20), undefined, (wake) => this.onOutput(wake, 'stderr'));
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and waits for it. */
  async stop(graceMs = 2000): Promise<ExecResult> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A background process on this machine. */
export class LocalProcess extends BackgroundProcess {
  private readonly subprocess: ResultPromise;
  readonly exited: Promise<ExecResult>;

  constructor(argv: readonly string[]) {
    super(argv);
    traceSpawn(argv);
    this.subprocess = execa(argv[0]!, argv.slice(1), { stdin: 'ignore', buffer: false, reject: false, encoding: 'buffer' });
    this.subprocess.stdout?.on('data', (chunk: Buffer) => this.receiveStdout(chunk));
    this.subprocess.stderr?.on('data', (chunk: Buffer) => this.receiveStderr(chunk));
    this.exited = this.subprocess.then((r) => ({
      exitCode: r.exitCode,
      stdout: '',
      stderr: this.stderr,
      durationMs: performance.now() - this.started,
      timedOut: false,
    }));
  }

  get running(): boolean {
    return this.subprocess.exitCode === null && this.subprocess.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.subprocess.kill(signal);
  }
}
