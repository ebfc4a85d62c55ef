// Seventeenth stranger's attack: the kernel deletes a VXLAN when its lower device (`dev`) is
// unregistered from its namespace, and a move to another namespace is an unregister there
// (vxlan_netdevice_event calls vxlan_handle_lowerdev_unregister on every NETDEV_UNREGISTER; macvlan,
// vlan and ipvlan "twiddle thumbs on netns device moves", the VXLAN does not). The host scope
// re-ties wg0 (which goes with va) to guest ns1 when va moves there, so wg0, already gone, stays
// owned: the run's teardown (and `clean` after a SIGKILL) delete another tool's wg0 made since.
import { onNode, onNode0, ownersWg0Survives, scenarioText } from './testing/fresh-hosts.ts';

ownersWg0Survives('its VXLAN wg0 deleted by the kernel when its lower device moved to a guest', scenarioText('vxlan-lower-moved', onNode0([
  'ip netns add ns1',
  'ip link add va type veth peer name vb',
  'ip link add wg0 type vxlan id 5 dev va dstport 4789',
  'ip link set dev va netns ns1',
]), onNode('node1', ['ip link show dev enp0s8'])));
