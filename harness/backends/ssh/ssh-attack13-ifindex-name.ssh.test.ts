// Thirteenth stranger's attack (issue 13): a name of the run that no device has any more is, to
// iproute2, an interface index. ll_name_to_index (iproute2 v6.1.0 lib/ll_map.c:358-376) looks the
// name up, then falls back to ll_idx_a2n: sscanf(name, "if%u"), so a missing `if3` is ifindex 3 (and so is
// `if3x`, `if+3`: sscanf ignores what follows the number; the policy refuses only /^if\d+$/),
// and `ip link set dev if3 down` (iplink.c:1031), `ip link del if3`, `ip addr add ... dev if3`,
// `tc qdisc add dev if3`, `master if3`, `link if3` act on the host's device of index 3.
// The host scope keeps a name after its device is gone when the command that took it ran in a
// guest namespace (scopeAfterOf returns the scope unchanged for `ip -n NS ...` and `ip netns exec`):
// a veth `ifN` whose peer went to ns1 dies with `ip -n ns1 link del vb`, and `ifN` stays "created".
// No guest is needed either: a macvlan on a created veth dies with `ip link del` of its lower
// device (the scope's goesWith follows veth pairs only), its name staying in the scope.
// Checked against the real kernel on sshd hosts: with N = enp0s8's index the NIC goes down; with
// N = mgmt's index node0 is cut off (the ssh connection rides on mgmt) and cannot be restored.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const GUEST_DELETE = (name: string) => ['ip netns add ns1', `ip link add ${name} type veth peer name vb`, 'ip link set dev vb netns ns1', 'ip -n ns1 link del vb'];
const LOWER_DELETE = (name: string) => ['ip link add lw type veth peer name lx', `ip link add ${name} link lw type macvlan`, 'ip link del lw'];
for (const [device, how, gone] of [['enp0s8', 'guest delete', GUEST_DELETE], ['mgmt', 'guest delete', GUEST_DELETE], ['enp0s8', 'lower delete', LOWER_DELETE]] as const) {
  onFreshHosts(`a stale name "ifN" of the run does not reach the host's ${device} by its index (${how})`, async (hosts) => {
    const link = async () => (JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'link', 'show', 'dev', device])) as { ifindex: number; flags: string[] }[])[0]!;
    // `if3` itself is refused (isInterfaceName); sscanf's %u stops at the first non-digit, so `if3x` is index 3 too.
    const name = `if${(await link()).ifindex}x`;
    const file = join(hosts.dir, 'ifindex.yaml');
    await writeFile(file, scenarioText('ifindex', onNode0([
      ...gone(name),
      `ip link set dev ${name} down`,
    ])));
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    const up = (await link()).flags.includes('UP');
    expect({ up }, `run ${run.exitCode}:\n${run.stdout}${run.stderr}`).toEqual({ up: true });
  }, { timeoutMs: 200_000 });
}

// The same stale name through tc: qdiscs are not in the recorded state, so a tbf on the NIC (here
// enp0s8; on a one-NIC host the ssh NIC) outlives the run and is not even named at teardown.
onFreshHosts('a stale name "ifN" of the run does not put a qdisc on the host\'s enp0s8 that outlives the run', async (hosts) => {
  const index = (JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'link', 'show', 'dev', 'enp0s8'])) as { ifindex: number }[])[0]!.ifindex;
  const name = `if${index}x`;
  const file = join(hosts.dir, 'ifindex-tc.yaml');
  await writeFile(file, scenarioText('ifindex tc', onNode0([...LOWER_DELETE(name), `tc qdisc add dev ${name} root tbf rate 8kbit burst 1600 latency 1ms`])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const qdiscs = (JSON.parse(await hosts.onHost('node0', ['tc', '-j', 'qdisc', 'show', 'dev', 'enp0s8'])) as { kind: string }[]).map((q) => q.kind);
  expect(qdiscs, `run ${run.exitCode}:\n${run.stdout}${run.stderr}`).not.toContain('tbf');
});
