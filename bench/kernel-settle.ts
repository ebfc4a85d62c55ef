// Waits until the kernel has finished deleting the previous sample's namespaces. Their devices go
// after the run has exited, in the kernel's cleanup_net worker under RTNL (about 18 ms per VXLAN
// device: 1.8 s for a 100-node lab), and whatever takes RTNL next waits for it: without this, each
// sample would pay for the one before it. The probe is an RTNL change (`ip link set lo up`) in a
// namespace of the bench's own, held by a process for the whole run.
// Quick probes alone are not enough: the worker starts up to ~200 ms after a lab's holders are
// gone, so two probes can pass before it has begun; it then holds RTNL for ~1.5 s at 100 nodes,
// and the next lab's first namespace waits that long (measured: `unshare --net` 4 ms, then
// 1,500 ms). So the namespaces the kernel still holds are counted too, where SLUB says so.
import { readFileSync, readlinkSync } from 'node:fs';
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

/** Network namespaces the kernel holds, live or not yet deleted (the net_namespace slab's objects in use), or undefined where the kernel does not say. */
export function namespacesHeld(read: (path: string) => string = (path) => readFileSync(path, 'utf8')): number | undefined {
  try {
    const count = Number.parseInt(read('/sys/kernel/slab/net_namespace/objects'), 10);
    return Number.isFinite(count) ? count : undefined;
  } catch {
    return undefined;
  }
}

/** A count within this of the lowest seen is settled: SLUB counts the free objects of each CPU's current slab as in use (7 namespaces a slab here). */
const HELD_SLACK = 16;
let fewestHeld = Infinity;

/** Whether the kernel holds no more namespaces than it did at the quietest moment seen yet (true where it does not say). */
function namespacesDeleted(): boolean {
  const held = namespacesHeld();
  if (held === undefined) return true;
  fewestHeld = Math.min(fewestHeld, held);
  return held <= fewestHeld + HELD_SLACK;
}

/**
 * Resolves once the kernel holds no more namespaces than at its quietest and two probes in a row
 * take RTNL without waiting, or after `timeoutMs`; the time it waited.
 */
export async function kernelSettled(timeoutMs = 15_000): Promise<number> {
  const pid = probeNamespace();
  const started = performance.now();
  let quiet = 0;
  while (quiet < 2 && performance.now() - started < timeoutMs) {
    if (!namespacesDeleted()) {
      quiet = 0;
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
