// Fifth stranger's attack (issue 13): a hole on main at a90cfcc (scratch-attack5), closed: every
// host's ssh ends are protected on every host, so node0 cannot take node1's ssh address (preflight,
// exit 3, before anything runs).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { heldAtMoment, onFreshHosts, onNode, onNode0, scenarioText } from './testing/fresh-hosts.ts';

// The cover check protects only this host's own $SSH_CONNECTION ends (10.200.0.1, 10.200.0.10
// for node0). node1's ssh address 10.200.0.11 is free to take: on a bridge in node0's host
// namespace it is a local address, Linux answers ARP for it on every interface (arp_ignore 0),
// and one ping sourced from it repoints the harness's neighbour entry for node1 to node0's
// mgmt MAC (its broadcast ARP request, sender 10.200.0.11, overrides the harness's entry once
// the entry's locktime has passed), and node2's too (the ping's target). From then on node1's
// ssh connection reaches node0, which resets it: node1 is stranded. A reconnect lands on node0's
// sshd (cloned VMs often share host keys: then node1's commands run on node0).
onFreshHosts('attack5: a host-namespace address that is another host\'s ssh end: is refused before anything runs; the harness still reaches node1 at node1\'s MAC', async (hosts) => {
  const file = join(hosts.dir, 'steal-ssh.yaml');
  await writeFile(file, scenarioText('steal ssh', onNode0([
    'ip link add a5d type bridge',
    'ip addr add 10.200.0.11/32 dev a5d',
    'ip link set a5d up',
    // Two seconds, so that the harness's entry for node1 is past its locktime (1 s) when the
    // next ping's ARP request (who-has 10.200.0.12 tell 10.200.0.11, broadcast) reaches it.
    'ping -c 3 -i 1 10.200.0.1',
    'ping -c 2 -W 1 -I 10.200.0.11 10.200.0.12',
  ]), onNode('node1', ['ip link show dev enp0s8'])));
  const node1Mac = JSON.parse(await hosts.onHost('node1', ['ip', '-j', 'link', 'show', 'mgmt']))[0].address as string;
  const node0Mac = JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'link', 'show', 'mgmt']))[0].address as string;
  const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  const paused = await heldAtMoment(child);
  let harnessSees = node1Mac;
  let node2Sees = node1Mac;
  if (paused) {
    const r = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), 'ip', '-j', 'neigh', 'show', '10.200.0.11'], { reject: false });
    const neigh = JSON.parse(String(r.stdout) || '[]') as { lladdr?: string }[];
    harnessSees = neigh[0]?.lladdr ?? node1Mac;
    const n2 = JSON.parse(await hosts.onHost('node2', ['ip', '-j', 'neigh', 'show', '10.200.0.11', 'dev', 'mgmt'])) as { lladdr?: string }[];
    node2Sees = n2[0]?.lladdr ?? node1Mac;
    child.kill('SIGINT');
  }
  const run = await child;
  const shown = (mac: string) => (mac === node0Mac ? `node0's MAC ${mac}` : mac);
  expect({ harnessSeesNode1At: shown(harnessSees), node2SeesNode1At: shown(node2Sees), exitCode: run.exitCode }, String(run.stderr))
    .toEqual({ harnessSeesNode1At: node1Mac, node2SeesNode1At: node1Mac, exitCode: 3 });
  expect(String(run.stderr)).toMatch(/node0: step `ip addr add 10\.200\.0\.11\/32 dev a5d` .*covers 10\.200\.0\.11/);
});
