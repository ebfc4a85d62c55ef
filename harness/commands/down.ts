// `down NAME`: the supervisor tears its lab down and exits; this waits, with a deadline, until it has.
import { isAlive, liveState } from '../backends/harness-identity.ts';
import { releaseLab } from '../learner/records.ts';
import { pollUntil } from '../util/poll.ts';
import { ask, runningLab } from './lab-client.ts';

/** A signal to a process that may have ended meanwhile (ESRCH is no error here). */
function signalIfThere(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** How long a supervisor may stay stopped before `down` says so instead of waiting on. */
const STOPPED_FOR_MS = 1000;

export async function down(name: string, say: (text: string) => void): Promise<void> {
  const record = await runningLab(name);
  // Not awaited: a stopped supervisor still takes the request (the kernel queues the connection)
  // and never answers. Its exit is what `down` waits for.
  void ask(name, { op: 'down' }, () => undefined).catch(async () => {
    // Not answering: the signal does the same (the supervisor tears down on SIGTERM). Checked right
    // before, since by now its PID may be another process's.
    if (await isAlive(record)) signalIfThere(record.harnessPid, 'SIGTERM');
  });
  let stoppedSince: number | undefined;
  await pollUntil(
    async () => {
      const state = await liveState(record);
      if (state === undefined) return true;
      // T: stopped by a signal; t: held by a debugger or tracer. It tears the lab down once it goes on.
      if (state !== 'T' && state !== 't') stoppedSince = undefined;
      else if (performance.now() - (stoppedSince ??= performance.now()) >= STOPPED_FOR_MS) {
        const how = state === 'T' ? `it will once it goes on (\`kill -CONT ${record.harnessPid}\`)` : 'a debugger or tracer holds it, and it will once that lets it go';
        throw new Error(`lab ${name}'s supervisor (PID ${record.harnessPid}) is stopped, so it cannot take the lab down: ${how}`);
      }
      return undefined;
    },
    { timeoutMs: 60_000, what: `lab ${name}'s supervisor to exit` },
  );
  // Only this lab's own leftovers (its dead supervisor's): by now a new `up` of the same name may hold it.
  await releaseLab(name, [record]);
  say(`lab ${name} is down\n`);
}
