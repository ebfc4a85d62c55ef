// (dummy is not loadable on this kernel: a veth pair made in ns1, both ends moved out.)
// Thirteenth stranger's attack (issue 13): a guest namespace's name that iproute2 reads as a PID.
// iplink_parse reads `netns X` with netns_get_fd (/run/netns/X) and, when that file is absent,
// with get_integer(X, base 0): `0x4d2` is PID 1234 (iproute2 v6.1.0 ip/iplink.c:678-690). The
// policy refuses only decimal digits (netnsNameProblem), so `ip netns add 0x4d2` is a plain name.
// A nested `ip -n ns1 netns delete 0x4d2` (or `ip netns exec ns1 ip netns delete ...`) removes
// /run/netns/0x4d2 but leaves the name in the host scope (scopeAfterOf ignores commands with a
// global netns, and the outer `exec`), so `ip -n ns1 link set dev dm0 netns 0x4d2` passes, and
// the kernel moves dm0 into the network namespace of PID 0x4d2: on a real host `0x1` is init,
// the host's own namespace; any other PID reaches a container's or a service's namespace.
// Here the PID is node0's sshd holder (node0's own host namespace; never this machine's PID 1).
// The device lands in the host's namespace, owned by no one: teardown calls it "not ours, left
// alone" and `clean` leaves it too.
import { readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, runThenClean, scenarioText } from './testing/fresh-hosts.ts';

for (const deleter of ['ip -n ns1 netns delete', 'ip netns exec ns1 ip netns delete']) {
  onFreshHosts(`a guest namespace named like a hex PID cannot move a lab device into another namespace (${deleter})`, async (hosts) => {
    const holder = hosts.hosts.find((h) => h.node === 'node0')!.holder;
    // Safety: the PID must be in node0's test namespace, never in this machine's root namespace.
    const [own, held] = await Promise.all([readlink('/proc/self/ns/net'), readlink(`/proc/${holder.pid}/ns/net`)]);
    expect(held).not.toBe(own);
    const hex = `0x${holder.pid.toString(16)}`;
    const file = join(hosts.dir, 'pid.yaml');
    await writeFile(file, scenarioText('pid netns', onNode0([
      'ip netns add ns1',
      `ip netns add ${hex}`,
      'ip -n ns1 link add dm0 type veth peer name dm1',
      `${deleter} ${hex}`,
      `ip -n ns1 link set dev dm0 netns ${hex}`,
      `ip -n ns1 link set dev dm1 netns ${hex}`,
    ])));
    const { exitCode, before, after, afterClean, said } = await runThenClean(hosts, file);
    expect(before).not.toContain('dm0');
    expect(before).not.toContain('dm1');
    // Refused at load (a namespace name iproute2 reads as a PID), and nothing of the run left in
    // the host's namespace, by the run or by clean.
    expect(exitCode, said).toBe(2);
    expect({ after, afterClean }, said).toEqual({ after: before, afterClean: before });
  });
}
