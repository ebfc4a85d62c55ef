// Fourteenth stranger's attack (issue 13): an IPv6 reject route (blackhole, unreachable,
// prohibit, throw) "on" a device the steps create. The kernel never puts an IPv6 reject route on
// the device it is given: fib6_nh_init (net/ipv6/route.c, fib6_is_reject) moves it to the
// loopback device. The host scope sees `dev va` (created: allowed); the route is on `lo`, a
// device that was there before, so deleting va leaves it, and the restore calls it "not ours,
// left alone" (exit 0). `::/1` + `8000::/1` with metric 1 cut the host's IPv6 off for good.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const routes6 = async (hosts: Parameters<Parameters<typeof onFreshHosts>[1]>[0]) =>
  (JSON.parse(await hosts.onHost('node0', ['ip', '-6', '-j', 'route', 'show', 'table', 'all'])) as { dst: string; dev?: string; type?: string; protocol?: string }[])
    .filter((r) => r.protocol !== 'kernel')
    .map((r) => `${r.type ?? 'unicast'} ${r.dst} dev ${r.dev ?? '-'}`)
    .sort();

onFreshHosts('an IPv6 reject route given a created device does not outlive the run', async (hosts) => {
  const file = join(hosts.dir, 'reject.yaml');
  await writeFile(file, scenarioText('reject route', onNode0([
    'ip link add va type veth peer name vb',
    'ip -6 route add unreachable ::/1 dev va metric 1',
    'ip -6 route add prohibit 8000::/1 dev va metric 1',
    'ip -6 route add blackhole 2001:db8::/32 dev va',
  ])));
  const before = await routes6(hosts);
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await routes6(hosts);
  const clean = await hosts.runCli(['clean']);
  const afterClean = await routes6(hosts);
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}\nclean ${clean.exitCode}:\n${clean.stdout}${clean.stderr}`;
  // Either refused at load (exit 2) or put back: nothing of the run's routes may stay on the host.
  expect({ after, afterClean }, said).toEqual({ after: before, afterClean: before });
});

// The same with `proto kernel` / `proto ra`: the state read skips such routes (host-state.ts,
// "follow addresses and links"), so the run does not even name them as "not ours".
onFreshHosts('an IPv6 reject route marked proto kernel/ra does not outlive the run unseen', async (hosts) => {
  const file = join(hosts.dir, 'reject-kernel.yaml');
  await writeFile(file, scenarioText('reject route, kernel', onNode0([
    'ip link add va type veth peer name vb',
    'ip -6 route add unreachable ::/1 dev va proto kernel metric 1',
    'ip -6 route add unreachable 8000::/1 dev va proto ra metric 1',
  ])));
  const all = async () => (await hosts.onHost('node0', ['ip', '-6', 'route', 'show', 'table', 'all'])).split('\n').filter((l) => /unreachable/.test(l)).sort();
  const before = await all();
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await all();
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}`;
  expect(after, said).toEqual(before);
});
