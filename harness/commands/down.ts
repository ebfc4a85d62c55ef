// `down NAME`: the supervisor tears its lab down and exits; this waits, with a deadline, until it has.
import { isAlive } from '../backends/harness-identity.ts';
import { releaseLab } from '../learner/records.ts';
import { pollUntil } from '../util/poll.ts';
import { ask, runningLab } from './lab-client.ts';

export async function down(name: string, say: (text: string) => void): Promise<void> {
  const record = await runningLab(name);
  await ask(name, { op: 'down' }, () => undefined).catch(() => {
    // Not answering: the signal does the same (the supervisor tears down on SIGTERM).
    process.kill(record.harnessPid, 'SIGTERM');
  });
  await pollUntil(async () => ((await isAlive(record)) ? undefined : true), { timeoutMs: 60_000, what: `lab ${name}'s supervisor to exit` });
  // Only this lab's own leftovers (its dead supervisor's): by now a new `up` of the same name may hold it.
  await releaseLab(name, [record]);
  say(`lab ${name} is down\n`);
}
