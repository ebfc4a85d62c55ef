// Fourteenth stranger's attack (issue 13): teardown and `clean` own a device by the name the
// scenario PLANS to create (node-changes.ts), not by what the run did create. A name whose step has
// not run yet (a later step, or a run stopped before it) that another tool creates meanwhile (a
// VPN's wg0, libvirt's vnet0 when a VM starts, a container's veth) is deleted at teardown, or by
// `clean` after a SIGKILL, days later. The twelfth attack's test shows the same loss through
// `ip -n NS link add wg0`; here the plain host-namespace spelling, whose step never ran.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment, linkNames, onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

const steps = scenarioText('planned name', onNode0(['ip link add va type veth peer name vb']), onNode0(['ip link add wg0 type veth peer name wg0x']));
const ownersWg0 = (hosts: SshdHosts) => hosts.onHost('node0', ['ip', 'link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0p']);

async function after(hosts: SshdHosts, end: (run: ReturnType<SshdHosts['startCli']>) => Promise<string>) {
  const file = join(hosts.dir, 'planned.yaml');
  await writeFile(file, steps);
  const run = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  expect(await heldAtMoment(run)).toBe(true);
  const evidence = await end(run);
  const links = await linkNames(hosts, 'node0');
  return { left: ['wg0', 'wg0p'].filter((d) => links.includes(d)), evidence };
}

onFreshHosts('the run\'s teardown leaves another tool\'s wg0 made before the step that would make the run\'s', async (hosts) => {
  const { left, evidence } = await after(hosts, async (run) => {
    await ownersWg0(hosts);
    run.kill('SIGTERM');
    const done = await run;
    return String(done.stdout) + String(done.stderr);
  });
  expect(left, evidence).toEqual(['wg0', 'wg0p']);
});

onFreshHosts('clean after a SIGKILL leaves another tool\'s wg0 made since', async (hosts) => {
  const { left, evidence } = await after(hosts, async (run) => {
    run.kill('SIGKILL');
    await run;
    await ownersWg0(hosts);
    const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
    return clean.stdout + clean.stderr;
  });
  expect(left, evidence).toEqual(['wg0', 'wg0p']);
});
