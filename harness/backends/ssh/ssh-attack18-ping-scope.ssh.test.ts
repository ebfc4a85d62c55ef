// Eighteenth stranger's attack: `ping -I VALUE` is held to the host scope (the lab's NIC or a
// device the steps create) only when VALUE holds no `:`; a value with a colon is taken for an IPv6
// source address and let through. iputils 20221126 (ping.c, case 'I') reads `ADDR%DEV` there:
// the part after `%` becomes the device (SO_BINDTODEVICE), whatever the destination's family.
// So `ping -I ::%mgmt ...` binds a step's ping to the host's management interface, which
// `ping -I mgmt` is refused for. Shown: a ping to a lab-network address (192.168.8.77, put on the
// management switch by the test) leaves node0 by mgmt and is answered there.
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

const inEchos = async (hosts: SshdHosts) => {
  const r = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), 'cat', '/proc/net/snmp']);
  const lines = String(r.stdout).split('\n').filter((l) => l.startsWith('Icmp:'));
  const [names, values] = lines.map((l) => l.split(/\s+/));
  return Number(values![names!.indexOf('InEchos')]);
};

onFreshHosts('ping -I with a colon in its value binds to a host device outside the scope', async (hosts) => {
  // A station on the management network answering for a lab-network address.
  await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), 'ip', 'addr', 'add', '192.168.8.77/32', 'dev', 'br0']);
  const plain = join(hosts.dir, 'plain.yaml');
  await writeFile(plain, scenarioText('ping -I mgmt', onNode0(['ping -c 1 -W 2 -I mgmt 192.168.8.77'])));
  const refused = await hosts.runCli([plain, '--reporter', 'tap']);
  expect(refused.exitCode, refused.stdout + refused.stderr).toBe(2);

  const before = await inEchos(hosts);
  const file = join(hosts.dir, 'colon.yaml');
  await writeFile(file, scenarioText('ping -I ::%mgmt', onNode0(['ping -c 3 -W 2 -I ::%mgmt 192.168.8.77'])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await inEchos(hosts);
  const said = `exit ${run.exitCode}\n${run.stdout}${run.stderr}\nInEchos on the management side: ${before} -> ${after}`;
  console.log(said);
  // The promise: refused like `-I mgmt` (exit 2), nothing sent by mgmt.
  expect(after - before, said).toBe(0);
  expect(run.exitCode, said).toBe(2);
});
