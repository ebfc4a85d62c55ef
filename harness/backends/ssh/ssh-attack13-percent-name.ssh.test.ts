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
import { linkNames, onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const CASES = [
  ['a device name with %d', ['ip link add va%d type veth peer name vb%d']],
  ['a device with no name', ['ip link add type veth', 'ip link add link enp0s8 type macvlan']],
] as const;
for (const [what, steps] of CASES) onFreshHosts(`${what} does not leave the kernel's name for it on the host`, async (hosts) => {
  const file = join(hosts.dir, 'percent.yaml');
  await writeFile(file, scenarioText('percent', onNode0(steps)));
  const before = await linkNames(hosts, 'node0');
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await linkNames(hosts, 'node0');
  const clean = await hosts.runCli(['clean']);
  const afterClean = await linkNames(hosts, 'node0');
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}\nclean ${clean.exitCode}:\n${clean.stdout}${clean.stderr}`;
  expect({ after, afterClean }, said).toEqual({ after: before, afterClean: before });
});
