// Eighteenth stranger's attack: a step may read only the lab's NIC and the devices the steps
// create (`ip addr show dev mgmt` is refused: "reads device mgmt, which is neither the lab's NIC
// nor one the steps create"), but a state check reads the whole table (`ip -j addr show`, `ip -j
// route show`, `ip -j neigh show`...) and filters by its `dev` in the harness, so `state: { addr:
// { dev: mgmt } }` reads the host's management interface, and a failing expectation prints what
// it found there (the host's other addresses, routes, neighbours) into the report.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('a state check reads only what a step may read', async (hosts) => {
  const step = join(hosts.dir, 'step.yaml');
  await writeFile(step, scenarioText('step reads mgmt', onNode0(['ip addr show dev mgmt'])));
  const refused = await hosts.runCli([step, '--reporter', 'tap']);
  expect(refused.exitCode, refused.stdout + refused.stderr).toBe(2);

  const file = join(hosts.dir, 'state.yaml');
  await writeFile(file, `${scenarioText('state reads mgmt', onNode0(['ip link show dev enp0s8']))}  - state:
      node: node0
      timeoutSeconds: 0
      addr: { dev: mgmt, contains: [{ address: 1.2.3.4/32 }] }
  - state:
      node: node0
      timeoutSeconds: 0
      route: { dev: mgmt, contains: ['1.2.3.4'] }
`);
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const said = `exit ${run.exitCode}\n${run.stdout}${run.stderr}`;
  console.log(said);
  expect(said).not.toMatch(/10\.200\.0\./);
  expect(run.exitCode, said).toBe(2);
});
