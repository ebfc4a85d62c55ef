// Fourteenth stranger's attack (issue 13): teardown and `clean` own a device by the name the
// scenario PLANS to create (node-changes.ts), not by what the run did create. A name whose step has
// not run yet (a later step, or a run stopped before it) that another tool creates meanwhile (a
// VPN's wg0, libvirt's vnet0 when a VM starts, a container's veth) is deleted at teardown, or by
// `clean` after a SIGKILL, days later. The twelfth attack's test shows the same loss through
// `ip -n NS link add wg0`; here the plain host-namespace spelling, whose step never ran.
import { onNode0, ownersWg0Survives, scenarioText } from './testing/fresh-hosts.ts';

ownersWg0Survives('its wg0 planned for step 2, never made', scenarioText('planned name', onNode0(['ip link add va type veth peer name vb']), onNode0(['ip link add wg0 type veth peer name wg0x'])));
