// `up NAME [--bare]`: starts the lab's supervisor in the background and returns once the lab
// serves (or with the supervisor's error, and nothing left up).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { harnessIdentity, processStartTime } from '../backends/harness-identity.ts';
import { claimLab, ensureLabsDir, isLabName, logPath, openLog, refuseOddLabFiles, releaseLab } from '../learner/records.ts';
import { InterruptedError, UsageError } from '../util/errors.ts';

export interface UpOptions {
  backend: string;
  bare: boolean;
}

/** The CLI's own command line, to run this same CLI (bundled or through tsx) as the supervisor. */
function selfArgv(args: string[]): [string, string[]] {
  return [process.execPath, [...process.execArgv, process.argv[1]!, ...args]];
}

/** Brings up the scenario `name` read from `file` (the supervisor reads the same file). */
export async function up(name: string, file: string, options: UpOptions, say: (text: string) => void): Promise<void> {
  if (!isLabName(name)) throw new UsageError(`a lab brought up needs a name of letters, digits, '.', '_' and '-' (its file's name), not ${JSON.stringify(name)}`);
  await ensureLabsDir();
  // Ctrl-C while the lab is being built stops the supervisor, which tears down what it built; while
  // the claim waits for the claims lock, it ends the wait.
  let interrupted: NodeJS.Signals | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const waiting = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    waiting.abort(new InterruptedError(signal));
    child?.kill('SIGTERM');
  };
  // A closed terminal (SIGHUP) too: `up` must not leave a supervisor building a lab that no record names yet.
  process.on('SIGINT', stop).on('SIGTERM', stop).on('SIGHUP', stop);
  try {
    await upWithHandlers(name, file, options, say, waiting.signal, (c) => (child = c), () => interrupted);
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop).off('SIGHUP', stop);
  }
}

async function upWithHandlers(name: string, file: string, options: UpOptions, say: (text: string) => void, signal: AbortSignal, started: (child: ReturnType<typeof spawn>) => void, interrupted: () => NodeJS.Signals | undefined): Promise<void> {
  // Exclusive: a second `up` of this lab, now or while it runs, is refused here.
  await claimLab(name, signal);
  const me = await harnessIdentity();
  const log = logPath(name);
  const logFile = await refuseOddLabFiles(name)
    .then(() => openLog(name))
    .catch(async (error: unknown) => {
      await releaseLab(name, [me], { withLog: false });
      throw error;
    });
  const [command, args] = selfArgv(['__supervise', file, '--backend', options.backend, ...(options.bare ? ['--bare'] : [])]);
  const child = spawn(command, args, { detached: true, stdio: ['ignore', logFile.fd, logFile.fd, 'pipe'] });
  started(child);
  await logFile.close();
  // Its supervisor takes over the claim: what is left after a failure is removed if it is either's.
  const supervisor = child.pid === undefined ? undefined : await processStartTime(child.pid).then((start) => (start === undefined ? undefined : { harnessPid: child.pid!, harnessStart: start }));
  const owners = [me, supervisor];
  let answer = '';
  const pipe = child.stdio[3] as NodeJS.ReadableStream;
  pipe.setEncoding('utf8');
  pipe.on('data', (chunk: string) => (answer += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Interrupted before the spawn: the supervisor is stopped now.
  if (interrupted()) child.kill('SIGTERM');
  await new Promise<void>((resolve) => pipe.once('close', () => resolve()));
  const stoppedBy = interrupted();
  if (stoppedBy) {
    await exited;
    await releaseLab(name, owners);
    throw new InterruptedError(stoppedBy);
  }
  const reply = answer.trim() ? (JSON.parse(answer.trim().split('\n')[0]!) as { ok: boolean; message?: string }) : undefined;
  if (!reply?.ok) {
    const code = await exited;
    const output = (await readFile(log, 'utf8').catch(() => '')).trim();
    await releaseLab(name, owners);
    throw new Error(`lab ${name} did not come up${reply?.message ? `: ${reply.message}` : ` (its supervisor exited with ${code ?? 'a signal'})`}${output ? `\n${output}` : ''}`);
  }
  child.unref();
  (pipe as unknown as { unref?: () => void }).unref?.();
  say(`lab ${name} is up${options.bare ? ' (bare: nodes and underlay only, no steps run)' : ''}, owned by supervisor PID ${child.pid}\n`);
}
