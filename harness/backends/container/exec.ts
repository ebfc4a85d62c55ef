// Programs inside a node container, through the engine's exec API: stdin in, stdout and stderr
// streamed out, and signals (Ctrl-C at a deadline, SIGUSR1 to tcpdump) delivered inside the node.
// Exec has no kill call, so each program first records its PID in a file its signals read.
import { PassThrough } from 'node:stream';
import { onAbort as subscribeToAbort } from '../../util/abort-fanout.ts';
import { COMMAND_OUTPUT_LIMIT, type OutputLimit } from '../../util/bounded-output.ts';
import { BackgroundProcess, DEFAULT_COMMAND_TIMEOUT_MS, type ExecOptions, type ExecResult } from '../../util/process.ts';
import type { Dockerode, DockerContainer } from './engine.ts';

// argv reaches the shell as positional parameters, never as script text.
const RECORD_PID_THEN_EXEC = 'echo $$ > "$0" && exec "$@"';
const SIGNAL_RECORDED_PID = 'read pid < "$0" && kill -s "$1" "$pid"';

let nextProcess = 0;

/** The wrapper argv that runs `argv` with its PID recorded in `pidFile` (exported for tests). */
export function recordedArgv(pidFile: string, argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', RECORD_PID_THEN_EXEC, pidFile, ...argv];
}

export function signalArgv(pidFile: string, signal: NodeJS.Signals): string[] {
  return ['/bin/sh', '-c', SIGNAL_RECORDED_PID, pidFile, signal.replace(/^SIG/, '')];
}

export class ContainerProcess extends BackgroundProcess {
  readonly exited: Promise<ExecResult>;
  private ended = false;
  private readonly pidFile = `/tmp/vxlab-${process.pid}-${++nextProcess}.pid`;

  constructor(
    private readonly docker: Dockerode,
    private readonly container: DockerContainer,
    argv: readonly string[],
    input?: string,
    stdoutLimit?: OutputLimit,
  ) {
    super(argv, stdoutLimit);
    this.exited = this.run(input).finally(() => (this.ended = true));
    // A failure to start shows in `exited`; nobody need be waiting for it yet.
    this.exited.catch(() => undefined);
  }

  private async run(input: string | undefined): Promise<ExecResult> {
    const exec = await this.container.exec({
      Cmd: recordedArgv(this.pidFile, this.argv),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = await exec.start({ hijack: true, stdin: true });
    const stdout = new PassThrough().on('data', (chunk: Buffer) => this.receiveStdout(chunk));
    const stderr = new PassThrough().on('data', (chunk: Buffer) => this.receiveStderr(chunk));
    this.docker.modem.demuxStream(stream, stdout, stderr);
    const done = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve).on('close', resolve).on('error', reject);
    });
    // Closing our side is the program's end of input (`ip -batch -` reads to EOF).
    stream.end(input ?? '');
    await done;
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? undefined, stdout: '', stderr: this.stderr, durationMs: performance.now() - this.started, timedOut: false };
  }

  get running(): boolean {
    return !this.ended;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.ended) return;
    void new ContainerProcess(this.docker, this.container, signalArgv(this.pidFile, signal)).exited.catch(() => undefined);
  }
}

/** Runs argv in the container to its end; like execArgv, a deadline stops it with Ctrl-C first. */
export async function execInContainer(docker: Dockerode, container: DockerContainer, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  options.signal?.throwIfAborted();
  const child = new ContainerProcess(docker, container, argv, options.input, COMMAND_OUTPUT_LIMIT);
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  // An interrupt does not wait for the program: teardown removes the container, and it with it.
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      child.signal('SIGKILL');
      reject(options.signal?.reason);
    };
  });
  const unsubscribe = options.signal ? subscribeToAbort(options.signal, onAbort) : () => undefined;
  timers.push(
    setTimeout(() => {
      timedOut = true;
      child.signal('SIGINT');
      timers.push(setTimeout(() => child.signal('SIGKILL'), 1000));
    }, options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
  );
  try {
    const result = await Promise.race([child.exited, aborted]);
    if (options.signal?.aborted) throw options.signal.reason;
    // A program that is not there: the shell says "not found" and exits 127, as execArgv does.
    return { ...result, stdout: child.stdoutText, timedOut };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    unsubscribe();
  }
}
