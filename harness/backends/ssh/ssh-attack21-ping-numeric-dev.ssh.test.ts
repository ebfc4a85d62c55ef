// Twenty-first stranger's attack: the host scope skips its device check for a ping -I value of
// digits and dots (/^[\d.]+$/ in host-scope.ts pingOrCapture), taking it for a source address.
// iputils takes -I as an address only when inet_pton(AF_INET) reads it (a full dotted quad);
// `-I 10` or `-I 1.2` is a device NAME (SO_BINDTODEVICE). A host device of such a name (here
// "10", standing for any host device the lab does not own) is then one the steps' ping uses.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('ping -I with a numeric device name reaches a host device outside the lab', async (hosts) => {
  // The host's own device (not the lab's), made by the host's owner before the run.
  await hosts.onHost('node0', ['ip', 'link', 'add', '10', 'type', 'veth', 'peer', 'name', 'host-peer']);
  // No IPv6 on the pair: its autoconfiguration (MLD, router solicitations) would count as traffic.
  await hosts.onHost('node0', ['sysctl', '-q', '-w', 'net.ipv6.conf.10.disable_ipv6=1', 'net.ipv6.conf.host-peer.disable_ipv6=1']);
  await hosts.onHost('node0', ['ip', 'link', 'set', 'dev', '10', 'up']);
  await hosts.onHost('node0', ['ip', 'link', 'set', 'dev', 'host-peer', 'up']);
  await hosts.onHost('node0', ['ip', 'addr', 'add', '10.66.0.1/24', 'dev', '10']);
  const file = join(hosts.dir, 'ping-numeric.yaml');
  await writeFile(file, scenarioText('ping numeric device', onNode0(['ping -c 3 -i 0.2 -W 1 -I 10 10.66.0.2'])));
  const count = async () => Number(JSON.parse(await hosts.onHost('node0', ['ip', '-j', '-s', 'link', 'show', 'dev', 'host-peer']))[0].stats64.rx.packets);
  const rxBefore = await count();
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}`;
  const rxAfter = await count();
  console.log(said, `\nhost-peer rx packets ${rxBefore} -> ${rxAfter}`);
  // The promise: a step's ping names the NIC or a device the steps create; this one is refused at load.
  expect(rxAfter - rxBefore, said).toBe(0);
  expect(run.exitCode, said).toBe(2);
  expect(run.stderr, said).toMatch(/reads device "10"/);
}, { timeoutMs: 120_000 });
