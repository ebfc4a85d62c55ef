// Thirteenth stranger's attack (issue 13): a device name with `%d`. The kernel expands it when the
// device registers (dev_get_valid_name -> dev_alloc_name: `va%d` becomes va0, or the first free
// number), so the device the step makes is not the name the policy, node-changes and the host
// scope saw. INTERFACE_NAME_PATTERN allows `%`. The run owns `va%d` and `vb%d`, which never exist;
// va0 and vb0 are "not ours, left alone" at teardown and by clean: the host keeps them. (With a
// host's naming scheme, `eth%d` or `enp%d` makes the next free ethN, which udev/netplan rules
// for that name may then configure.)
// The same with no name at all: `ip link add type veth` makes veth0 and veth1 (the kind's
// "%s%%d"), `ip link add link enp0s8 type macvlan` makes macvlan0 on the NIC; linkAddCreates
// finds no name, so nothing is planned, owned or checked against the plan.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, runThenClean, scenarioText } from './testing/fresh-hosts.ts';

const CASES = [
  ['a device name with %d', ['ip link add va%d type veth peer name vb%d']],
  ['a device with no name', ['ip link add type veth', 'ip link add link enp0s8 type macvlan']],
] as const;
for (const [what, steps] of CASES) onFreshHosts(`${what} does not leave the kernel's name for it on the host`, async (hosts) => {
  const file = join(hosts.dir, 'percent.yaml');
  await writeFile(file, scenarioText('percent', onNode0(steps)));
  const { exitCode, before, after, afterClean, said } = await runThenClean(hosts, file);
  // Refused at load (names the kernel chooses), and nothing left either way.
  expect(exitCode, said).toBe(2);
  expect({ after, afterClean }, said).toEqual({ after: before, afterClean: before });
});
// (dummy is not loadable on this kernel: a veth pair made in ns1, both ends moved out.)
