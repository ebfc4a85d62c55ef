// Another process holding a flock(2) lock on a file (flock(1), in a process group of its own), for
// the tests of the locks in util/file-lock.ts: the neighbour ledger's and the labs' claims lock.
import { execa } from 'execa';

/** Resolves once the lock is held, with the holder's PID (kill its group, -pid, to free the lock). */
export async function holdFlockElsewhere(file: string): Promise<{ pid: number }> {
  const holder = execa('flock', ['--exclusive', file, 'sh', '-c', 'echo held; exec sleep 60'], { detached: true });
  holder.catch(() => undefined);
  await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve()));
  // Its pid, not the promise: awaiting a returned execa result would wait for the holder to end.
  return { pid: holder.pid! };
}
