// The third stranger's attack on the ssh host scope (issue 13, NOTES "Third stranger's attack"),
// kept as tests: each command here changed a real host (for good, or mid-run) before the fourth
// pass; now each is refused at load (exit 2, file:line:col) and the host is left as it was.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { onNode0, scenarioText } from './testing/fresh-hosts.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();

const scenario = (run: readonly string[]) => scenarioText('attack3', onNode0(run));

// Refused at load, nothing reaches the hosts, so one sshd lab serves every case; each still
// compares the whole host before and after, so one that got through would fail its own test.
describe.skipIf(missing !== undefined)('the third attack on the ssh host scope: refused at load, the host unchanged', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
  });
  afterAll(() => hosts?.stop());

  /** Runs a one-node scenario; expects exit 2 at the line of the refused step and the host as it was. */
  async function refusedAtLoad(name: string, run: readonly string[], line: number, message: RegExp, extra?: () => Promise<string>) {
    const file = join(hosts.dir, `${name}.yaml`);
    await writeFile(file, scenario(run));
    const before = await hosts.state('node0');
    const extraBefore = await extra?.();
    const result = await hosts.runCli([file, '--reporter', 'tap']);
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${name}\\.yaml:${line}:\\d+: .*${message.source}`));
    expect(await hosts.state('node0')).toEqual(before);
    if (extra) expect(await extra()).toBe(extraBefore);
  }

  it('`ip route replace|change` on a device the steps create cannot take over the host\'s routes (the NIC\'s subnet, its local address)', async () => {
    await refusedAtLoad('route-replace', ['ip link add d9 type bridge', 'ip link set dev d9 up', 'ip route replace 192.168.8.0/24 dev d9'], 10, /`ip route replace` would take over the host's own route/);
    await refusedAtLoad('route-local', ['ip link add d9 type bridge', 'ip link set dev d9 up', 'ip route replace local 192.168.8.100 dev d9 table local'], 10, /`ip route replace`/);
    await refusedAtLoad('route-change', ['ip link add d9 type bridge', 'ip route change 192.168.8.0/24 dev d9'], 9, /`ip route change`/);
  });

  const sysctlRefused = /which is not a key vxlab lets a scenario change on a real host.*may set net\.ipv4\.ip_forward/;

  it('a sysctl a step writes cannot take the host\'s own IPv6 addresses off its NIC and its management interface (disable_ipv6 on all, default, the NIC)', async () => {
    // The host's own static IPv6 addresses, there before the run (an admin's, not the lab's).
    await hosts.onHost('node0', ['ip', '-6', 'addr', 'add', 'fd00:8::100/64', 'dev', 'enp0s8', 'nodad']);
    await hosts.onHost('node0', ['ip', '-6', 'addr', 'add', 'fd00:200::10/64', 'dev', 'mgmt', 'nodad']);
    try {
      for (const dev of ['all', 'default', 'enp0s8']) await refusedAtLoad(`disable-ipv6-${dev}`, [`sysctl -w net.ipv6.conf.${dev}.disable_ipv6=1`], 8, sysctlRefused);
      const addresses = (await hosts.state('node0')).addresses;
      expect(addresses).toContain('enp0s8 fd00:8::100/64');
      expect(addresses).toContain('mgmt fd00:200::10/64');
    } finally {
      await hosts.onHost('node0', ['ip', '-6', 'addr', 'del', 'fd00:8::100/64', 'dev', 'enp0s8']);
      await hosts.onHost('node0', ['ip', '-6', 'addr', 'del', 'fd00:200::10/64', 'dev', 'mgmt']);
    }
  });

  it('a sysctl a step writes cannot make the host ignore ARP on its management interface (arp_ignore, arp_filter, rp_filter on all or the NIC)', async () => {
    const keys = ['net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.enp0s8.arp_ignore', 'net.ipv4.conf.all.arp_filter', 'net.ipv4.conf.enp0s8.rp_filter'];
    const values = () => hosts.onHost('node0', ['sysctl', ...keys]);
    for (const [i, key] of keys.entries()) await refusedAtLoad(`arp-${i}`, [`sysctl -w ${key}=8`], 8, sysctlRefused, values);
  });

  it('a sysctl that cannot be read before (stable_secret: EIO until set) cannot be left set on the host\'s NIC or default', async () => {
    const mode = () => hosts.onHost('node0', ['sysctl', '-n', 'net.ipv6.conf.enp0s8.addr_gen_mode', 'net.ipv6.conf.default.addr_gen_mode']);
    await refusedAtLoad('stable-secret', ['sysctl -w net.ipv6.conf.enp0s8.stable_secret=2001:db8::1 net.ipv6.conf.default.stable_secret=2001:db8::2'], 8, sysctlRefused, mode);
    const secret = await hosts.onHost('node0', ['sh', '-c', 'sysctl -e net.ipv6.conf.enp0s8.stable_secret net.ipv6.conf.default.stable_secret; true']);
    expect(secret).toBe('');
  });

  it('`ip maddr add|del` cannot change the multicast addresses of the host\'s NIC (ip maddr had no verb table: add and del read as show)', async () => {
    // The host's own static multicast membership on its NIC, there before the run.
    await hosts.onHost('node0', ['ip', 'maddr', 'add', '01:00:5e:01:02:03', 'dev', 'enp0s8']);
    try {
      const maddrs = () => hosts.onHost('node0', ['ip', 'maddr', 'show', 'dev', 'enp0s8']);
      await refusedAtLoad('maddr-add', ['ip maddr add 01:00:5e:00:00:42 dev enp0s8'], 8, /changes multicast addresses \(add\) on the host's NIC enp0s8/, maddrs);
      await refusedAtLoad('maddr-del', ['ip maddr del 01:00:5e:01:02:03 dev enp0s8'], 8, /changes multicast addresses \(delete\) on the host's NIC enp0s8/, maddrs);
    } finally {
      await hosts.onHost('node0', ['ip', 'maddr', 'del', '01:00:5e:01:02:03', 'dev', 'enp0s8']);
    }
  });

  it('`ip stats set` cannot change a setting of any host device (mgmt, the NIC): the host scope had no case for ip stats', async () => {
    const l3 = (dev: string) => () => hosts.onHost('node0', ['ip', 'stats', 'show', 'dev', dev, 'group', 'offload', 'subgroup', 'l3_stats']);
    await refusedAtLoad('stats-mgmt', ['ip stats set dev mgmt l3_stats on'], 8, /changes the statistics \(ip stats set\) of "mgmt"/, l3('mgmt'));
    await refusedAtLoad('stats-nic', ['ip stats set dev enp0s8 l3_stats on'], 8, /of the host's NIC enp0s8/, l3('enp0s8'));
  });

  it('a macvlan the steps build on the NIC in passthru mode cannot change the NIC\'s own MAC address (or make it promiscuous)', async () => {
    const nic = () => hosts.onHost('node0', ['ip', '-d', 'link', 'show', 'dev', 'enp0s8']);
    await refusedAtLoad('passthru', ['ip link add link enp0s8 name mv9 type macvlan mode passthru', 'ip link set dev mv9 address 02:00:00:00:00:09', 'ip link set dev mv9 up'], 8,
      /makes a passthru macvlan on the host's NIC enp0s8/, nic);
  });
});
