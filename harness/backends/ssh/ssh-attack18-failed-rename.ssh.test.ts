// Eighteenth stranger's attack: ownership follows only commands that exit 0 (scopeAfterRun, the
// marker that goes with the command), but a failing `ip link set` can still have renamed the
// device. The kernel's do_setlink applies IFLA_IFNAME before IFLA_MASTER (and flags, txqlen...)
// and does not undo the rename when a later attribute fails: `ip link set dev br9 name wg0
// master vc` (vc a veth, which takes no slaves) exits 2 with br9 already called wg0. The run
// still owns br9 only; teardown finds wg0 new, not the run's, and leaves it on the host for good
// ("not ours, left alone"). Checked by hand in `unshare --net` (kernel 6.18, iproute2 6.1).
// Worse with a macvlan on the NIC and `carrier on` (macvlan has no ndo_change_carrier, which
// do_setlink reaches after the rename): the host keeps a station on the lab's network, up, with
// the address the steps gave it, after the run.
import { refusedAtLoad } from './testing/fresh-hosts.ts';

const cases: [string, string[], RegExp][] = [
  ['a bridge', ['ip link add br9 type bridge', 'ip link add vc type veth peer name vd', 'ip link set dev br9 name wg0 master vc'], /a rename or a move is a command of its own/],
  ['a macvlan on the NIC', ['ip link add mp link enp0s8 type macvlan mode bridge', 'ip addr add 192.168.8.50/24 dev mp', 'ip link set dev mp up', 'ip link set dev mp name wg0 carrier on'], /a rename or a move is a command of its own/],
];

// Refused at load now (a rename or a move is a command of its own on an ssh host, so its exit says
// whether the name changed): exit 2, the reason, and node0's links as they were.
refusedAtLoad('a rename together with more in one `ip link set` is refused, and node0 keeps its links', cases, (hosts) => hosts.onHost('node0', ['ip', '-o', 'link', 'show']));
