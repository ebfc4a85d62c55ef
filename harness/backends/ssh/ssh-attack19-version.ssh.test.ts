// Nineteenth stranger's attack: spellings with which ip exits 0 having done nothing, while the
// run took a naming command's exit 0 for its names made or gone:
// - `ip -V` (any prefix of `-Version`) prints ip's version and exits 0 before it reads the object:
//   `ip -V link del vx9` disowned a VXLAN still on the NIC, `ip -V link add wg0 ...` owned a wg0
//   another tool made later (teardown deleted it), `ip -V netns del ns1` disowned ns1.
// - `ip -B link del va` of a bridge port: the kernel hands AF_BRIDGE's RTM_DELLINK to the
//   bridge-port handler, which deletes nothing: va stayed, with a /25 of the NIC's subnet on it.
// Both are refused at load now (policy/attack19.test.ts), and the wrapper asks the host whether it
// shows the names changed before it puts the marker in place (namesShownCondition).
import { refusedAtLoad } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

const cases: [string, string[], RegExp][] = [
  ['ip -V link del', ['ip link add vx9 type vxlan id 42 dstport 4789 dev enp0s8', 'ip link set dev vx9 up', 'ip -V link del vx9'], /exits without running the command after it/],
  ['ip -V link add', ['ip -V link add wg0 type veth peer name wg0p'], /exits without running the command after it/],
  ['ip -V netns del', ['ip netns add ns1', 'ip link add va type veth peer name vb netns ns1', 'ip -V netns del ns1'], /exits without running the command after it/],
  ['ip -B link del', ['ip link add br9 type bridge', 'ip link add va type veth peer name vb', 'ip link set dev va master br9', 'ip addr add 192.168.8.200/25 dev va', 'ip link set dev vb up', 'ip link set dev va up', 'ip -B link del va'], /bridge family/],
];

const stateOf = (hosts: SshdHosts) => hosts.onHost('node0', ['sh', '-c', 'ip -o link show; ls -A /run/netns 2>/dev/null; ip -4 route show table all']);

refusedAtLoad('steps with which ip exits 0 having done nothing are refused at load, and no host changes', cases, stateOf);
