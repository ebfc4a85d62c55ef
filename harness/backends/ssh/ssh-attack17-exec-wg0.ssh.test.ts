import { onNode, onNode0, ownersWg0Survives, scenarioText } from './testing/fresh-hosts.ts';
ownersWg0Survives('its wg0 made inside a guest through ip netns exec', scenarioText('exec-wg0', onNode0(['ip netns add ns1', 'ip netns exec ns1 ip link add wg0 type veth peer name x0']), onNode('node1', ['ip link show dev enp0s8'])));
