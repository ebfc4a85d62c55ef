// A run claims its hosts in preflight's round trip, held open until the first lab comes up
// (programProblems' `held`, marker.ts claimHeld): no round trip of its own. The marker is there
// with the lab up, no claim command is spawned, and a preflight that refuses one host writes
// nothing on the others (their held round trips end with nothing).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment, onFreshHosts, onNode, scenarioText } from './testing/fresh-hosts.ts';

const steps = ['node0', 'node1', 'node2'].map((node) => onNode(node, ['ip link add vxc0 type bridge']));
const markersOn = async (hosts: Parameters<Parameters<typeof onFreshHosts>[1]>[0], node: string) =>
  (await hosts.onHost(node, ['sh', '-c', 'ls /run/vxlab 2>/dev/null || true'])).split('\n').filter(Boolean);

onFreshHosts('the claim rides on preflight: each host\'s marker is there with the lab up, with no claim command of its own', async (hosts) => {
  const file = join(hosts.dir, 'claim.yaml');
  await writeFile(file, scenarioText('claim', ...steps));
  const run = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'lab-up', VXLAB_TRACE_SPAWNS: '1' } });
  expect(await heldAtMoment(run)).toBe(true);
  for (const node of ['node0', 'node1', 'node2']) expect(await markersOn(hosts, node), node).toEqual([expect.stringMatching(/^vx[0-9a-f]+\.json$/)]);
  run.kill('SIGTERM');
  const done = await run;
  const said = String(done.stdout) + String(done.stderr);
  // claimHost's own command (`cat > "/run/vxlab/$1.json"`) never ran: the markers came through preflight's round trips.
  expect(said.match(/echo --vxlab-claim-wait/g)).toHaveLength(3);
  expect(said).not.toMatch(/cat > "\/run\/vxlab\/\$1\.json"/);
  for (const node of ['node0', 'node1', 'node2']) expect(await markersOn(hosts, node), node).toEqual([]);
});

onFreshHosts('a preflight that refuses one host ends the others\' held claims with nothing written', async (hosts) => {
  await hosts.onHost('node1', ['ip', 'link', 'add', 'vxc0', 'type', 'bridge']);
  try {
    const file = join(hosts.dir, 'claim.yaml');
    await writeFile(file, scenarioText('claim', ...steps));
    const run = await hosts.runCli([file, '--reporter', 'tap'], { env: { VXLAB_TRACE_SPAWNS: '1' } });
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    expect(run.stdout + run.stderr).toMatch(/node1 already has a device vxc0/);
    // The moment this is about: node0 and node2 passed, their round trips held for the claim.
    expect(run.stderr.match(/echo --vxlab-claim-wait/g)).toHaveLength(3);
    for (const node of ['node0', 'node1', 'node2']) expect(await markersOn(hosts, node), node).toEqual([]);
  } finally {
    await hosts.onHost('node1', ['ip', 'link', 'del', 'vxc0']);
  }
});
