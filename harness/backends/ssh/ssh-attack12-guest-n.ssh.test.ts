// Twelfth stranger's attack (issue 13): the tenth attack's fix (a device made inside a guest is not
// owned by name in the host's namespace) read only `netns NS` on the device. `ip -n NS link add
// wg0 type veth peer name x0` also makes wg0 and x0 inside guest NS (the host scope knew: it
// leaves them out), yet node-changes listed both as devices of the host's own namespace. The
// marker then owned wg0 by name in the host's namespace, and `clean` after a SIGKILL (or the run's
// own teardown) deleted another tool's wg0 made there since (a VPN's tunnel, docker0, ...).
import { onNode, onNode0, ownersWg0Survives, scenarioText } from './testing/fresh-hosts.ts';

ownersWg0Survives('its wg0 made inside a guest with `ip -n NS link add`', scenarioText('guest-n', onNode0(['ip netns add ns1', 'ip -n ns1 link add wg0 type veth peer name x0']), onNode('node1', ['ip link show dev enp0s8'])));
