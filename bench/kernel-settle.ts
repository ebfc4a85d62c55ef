// Waits until the kernel has finished deleting the previous sample's namespaces. Their devices go
// after the run has exited, in the kernel's cleanup_net worker under RTNL (about 18 ms per VXLAN
// device: 1.8 s for a 100-node lab), and whatever takes RTNL next waits for it: without this, each
// sample would pay for the one before it. The probe is an RTNL change (`ip link set lo up`) in a
// namespace of the bench's own, held by a process for the whole run.
// Quick probes alone are not enough: the clean-up does not hold RTNL throughout (the probe passed
// while it ran), yet the next lab's first namespace waits for all of it (measured: `unshare --net`
// 1,445-1,586 ms right after a 100-node lab). So the bench also waits until the kernel's netns
// workqueue has been idle for QUIET_SPAN_MS: a kworker's name reads `kworker/u8:5+netns` while it
// runs netns work (Linux names workers by their workqueue, `+` while busy). Measured here, the work
// starts within 1.1 ms of a lab's end (after a 3-node lab it then runs ~140 ms, after 100 nodes
// ~1.6 s); the span also covers gaps between its work items. (Counting the net_namespace slab's objects,
// tried first, hung the bench: SLUB keeps freed objects on per-CPU lists, so the count need not
// come back down.)
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';

/** A probe under this many ms, or three times the fastest one yet (a loaded machine), did not wait for RTNL. */
const QUIET_MS = 25;
let fastestMs = Infinity;

let holder: ResultPromise | undefined;

function probeNamespace(): number {
  // `unshare` execs sleep in the new namespace, so its PID names it; it dies with the bench (pdeathsig).
  if (!holder) {
    holder = execa('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--net', '--', 'sleep', 'infinity'], { reject: false, stdio: 'ignore' });
    // It must not keep the bench alive once the bench is done.
    holder.unref();
  }
  return holder.pid!;
}

/** Whether the holder is in a namespace of its own yet: until unshare has run, it is in ours, which the probe must never change. */
function inOwnNamespace(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync('/proc/self/ns/net');
  } catch {
    return false;
  }
}

async function probeMs(pid: number): Promise<number> {
  const started = performance.now();
  await execa('nsenter', ['-t', String(pid), '--net', '--', 'ip', 'link', 'set', 'lo', 'up']);
  return performance.now() - started;
}

/** Whether a kernel worker is running netns work (deleting namespaces) now, from the workers' names. */
export function netnsWorkRunning(names: Iterable<string> = kernelWorkerNames()): boolean {
  for (const name of names) if (/^kworker\/.*\+netns$/.test(name)) return true;
  return false;
}

function kernelWorkerNames(): string[] {
  const names: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      names.push(readFileSync(`/proc/${entry}/comm`, 'utf8').trim());
    } catch {
      // Gone meanwhile.
    }
  }
  return names;
}

/** How long the netns workqueue must have been seen idle. */
const QUIET_SPAN_MS = 50;

/**
 * Resolves once no netns work has run for QUIET_SPAN_MS and two probes in a row take RTNL without
 * waiting, or after `timeoutMs`; the time it waited.
 */
export async function kernelSettled(timeoutMs = 15_000): Promise<number> {
  const pid = probeNamespace();
  const started = performance.now();
  let quiet = 0;
  let idleSince = performance.now();
  while ((quiet < 2 || performance.now() - idleSince < QUIET_SPAN_MS) && performance.now() - started < timeoutMs) {
    if (netnsWorkRunning()) {
      quiet = 0;
      idleSince = Infinity;
    } else {
      idleSince = Math.min(idleSince, performance.now());
    }
    if (idleSince === Infinity || quiet >= 2) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    if (!inOwnNamespace(pid)) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      continue;
    }
    const took = await probeMs(pid);
    fastestMs = Math.min(fastestMs, took);
    quiet = took < Math.max(QUIET_MS, 3 * fastestMs) ? quiet + 1 : 0;
  }
  return performance.now() - started;
}
