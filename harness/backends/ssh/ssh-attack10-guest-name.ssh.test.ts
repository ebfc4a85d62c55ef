// Tenth stranger's attack (issue 13): `ip link add NAME netns NS type veth peer name P` creates NAME
// inside guest namespace NS, but the host scope and node-changes count NAME as a device of the
// host's own namespace (the peer's `netns` is read, the device's own is not). Preflight only
// checks that NAME is free in the host's namespace then, so NAME is owned by name while nothing of
// the run's has it there: a device of that name that another tool makes in the host's namespace
// later (a VPN's wg0 or tun0, docker0, a modem's ppp0) is deleted by the run's teardown, or, after
// a SIGKILL, by `clean` hours later (restorePlan: an owned name not there before is the run's).
// Mid-run, the steps may also change it (`ip link set dev wg0 down`, `tc qdisc add dev wg0 ...`).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';
import { onFreshHosts, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('a device the steps create inside a guest namespace does not make its name the run\'s in the host\'s namespace (clean leaves another tool\'s wg0)', async (hosts) => {
  const file = join(hosts.dir, 'guest-name.yaml');
  await writeFile(file, scenarioText('guest-name', '  - node: node0\n    run:\n      - ip netns add ns1\n      - ip link add wg0 netns ns1 type veth peer name vb\n  - node: node1\n    run:\n      - ip link show dev enp0s8'));
  const run = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  await stderrUntil(run, PAUSED);
  // The run is killed; then the host's owner brings up a device of that name in the host's namespace (a stand-in for a VPN's wg0).
  run.kill('SIGKILL');
  await run;
  await hosts.onHost('node0', ['ip', 'link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0p']);
  const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
  const links = (JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
  const left = ['wg0', 'wg0p'].filter((d) => links.includes(d));
  // Tidy up the stand-in whatever the result (the fresh hosts go anyway).
  if (left.length > 0) await hosts.onHost('node0', ['ip', 'link', 'del', 'wg0']);
  expect(left, clean.stdout + clean.stderr).toEqual(['wg0', 'wg0p']);
});
