// Twentieth stranger's attack: a device the steps "create" named `default`. The kernel refuses
// the name (EINVAL), but the host scope counts it as the steps' own device from the command on
// (at load, walking the steps as if each succeeded, and in the executor, whose scope moves on
// before the command's result). `net.ipv{4,6}.conf.DEV.KEY` of a created DEV is allowed for a list
// of keys (arp_ignore, rp_filter, proxy_arp, disable_ipv6, ...), and for DEV = `default` that is
// the host's default tree, which the allowlist refuses (`default.*`): an IPv4 default write is
// copied to every device that has not set the key itself (devinet_copy_dflt_conf: devices with
// no IPv4 address yet), and every device made while it holds (a container's veth, a VPN's
// tunnel) takes it and keeps it after teardown writes the default back.
// Here the commands are a capture check's `during` commands (a failed one there is a problem of
// the check; the next still runs). Now `default` (and `all`) is refused as a device name on every
// backend, and a conf key under them is never a created device's: exit 2, nothing changes.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const capture = (commands: string[]) => `  - capture:
      node: node0
      interface: enp0s8
      filter: icmp
      during:
        - run: { node: node0, commands: [${commands.map((c) => JSON.stringify(c)).join(', ')}] }
        - ping: { from: node0, to: 192.168.8.101, count: 1 }
      expect:
        - that: the ping
          count: { min: 1 }
          match: { ip: { dst: 192.168.8.101 } }
`;

onFreshHosts('a device named `default` does not open the host\'s default sysctls', async (hosts) => {
  // The direct spellings are refused at load.
  for (const key of ['net.ipv4.conf.default.arp_ignore=8', 'net.ipv4.conf.mgmt.arp_ignore=8', 'net.ipv4.conf.enp0s8.arp_ignore=8']) {
    const direct = join(hosts.dir, 'direct.yaml');
    await writeFile(direct, scenarioText('direct', onNode0([`sysctl -w ${key}`])));
    const refused = await hosts.runCli([direct, '--reporter', 'tap']);
    expect(refused.exitCode, refused.stdout + refused.stderr).toBe(2);
  }

  const keys = () => hosts.onHost('node0', ['sysctl', 'net.ipv4.conf.default.arp_ignore', 'net.ipv4.conf.default.rp_filter', 'net.ipv6.conf.default.disable_ipv6']);
  const before = await keys();
  const file = join(hosts.dir, 'default-name.yaml');
  await writeFile(file, scenarioText('default-name', onNode0(['ip link show dev enp0s8'])) + capture(['ip link add default type bridge', 'sysctl -w net.ipv4.conf.default.arp_ignore=8', 'sysctl -w net.ipv4.conf.default.rp_filter=1', 'sysctl -w net.ipv6.conf.default.disable_ipv6=1']));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const said = `exit ${run.exitCode}\n${run.stdout}${run.stderr}`;
  expect(run.exitCode, said).toBe(2);
  expect(run.stderr, said).toMatch(/"default".*sysctl tree uses for every device/);
  expect(await keys(), said).toBe(before);
}, { timeoutMs: 240_000 });
