// Thirteenth stranger's attack (issue 13): libpcap's special capture sources chosen by a device
// name. pcap_create tries each source type before the Linux interface one (libpcap 1.10.3
// pcap.c capture_source_types): `dbus-system` and `dbus-session` connect to the D-Bus bus and
// become its monitor (every message on the bus), `nflog` and `nfqueue` bind to the host's
// netfilter log/queue group 0 (`tcpdump -D` here lists all four). The host scope lets tcpdump read a
// device the steps create, and `dbus-system` or `nflog` is a valid interface name: create a veth
// of that name, and `tcpdump -i dbus-system` reads the host's system bus, not the device. The
// step's deadline shows what tcpdump printed in the TAP (stdout of a failed step).
// Inside a guest namespace no device is needed: the host scope does not look at tcpdump under
// `ip netns exec NS` (inGuest reads ip, bridge and tc only), and the bus is a file, not a network
// namespace's: `ip netns exec ns1 tcpdump -i dbus-system` reads the host's bus just the same.
// Here node0 gets a bus of its own at /run/dbus/system_bus_socket (its /run is private), and the
// test sends a signal carrying "hunter2" on it, as a host service would.
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, scenarioText } from './testing/fresh-hosts.ts';

const CASES = [
  ['a device named dbus-system', ['ip link add dbus-system type veth peer name vb'], 'tcpdump -i dbus-system -l -A'],
  ['a guest namespace', ['ip netns add ns1'], 'ip netns exec ns1 tcpdump -i dbus-system -l -A'],
] as const;
for (const [what, setup, capture] of CASES) onFreshHosts(`${what} does not let tcpdump read the host's D-Bus system bus`, async (hosts) => {
  const pid = String(hosts.hosts.find((h) => h.node === 'node0')!.holder.pid);
  const onNode0 = ['nsenter', '-t', pid, '--net', '--mount', '--'];
  const bus = 'unix:path=/run/dbus/system_bus_socket';
  await execa(onNode0[0]!, [...onNode0.slice(1), 'sh', '-c', `mkdir -p /run/dbus && dbus-daemon --session --address=${bus} --fork --nopidfile`]);
  const sender = execa(onNode0[0]!, [...onNode0.slice(1), 'sh', '-c', `while :; do dbus-send --bus=${bus} --type=signal /vxlab org.example.Secret.Token string:hunter2; sleep 0.2; done`], { reject: false });
  try {
    const file = join(hosts.dir, 'dbus.yaml');
    await writeFile(file, scenarioText('dbus', [
      '  - node: node0',
      '    run:',
      ...setup.map((line) => `      - ${line}`),
      '  - node: node0',
      '    timeoutSeconds: 3',
      '    run:',
      `      - ${capture}`,
    ].join('\n')));
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    expect(run.stdout + run.stderr).not.toMatch(/hunter2|org\.example\.Secret/);
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
  } finally {
    sender.kill('SIGKILL');
    await sender;
  }
});
