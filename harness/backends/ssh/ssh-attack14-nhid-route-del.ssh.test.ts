// Fourteenth stranger's attack (issue 13): `ip -6 route del PREFIX dev va` deletes a host route
// whatever its device when that route uses a nexthop object (`nhid`, as FRR's zebra and
// systemd-networkd's [NextHop] install them). ip6_route_del (net/ipv6/route.c) returns at
// `if (rt->nh) ... __ip6_del_rt()` before it compares fc_ifindex with the route's device; IPv4's
// fib_nh_match refuses the match (`if (fi->nh) { if (cfg->fc_oif ...) return 1; }`), so only IPv6
// is open. The host scope lets a `del` through when its `dev` is a created device, and `del` is
// not held off the ssh connection's addresses (coverProblem runs for adding verbs only). The
// route was on mgmt, a device that was there before: teardown calls its loss "not ours, left
// alone" and never puts it back.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('deleting a route "on" a created device cannot take the host\'s own IPv6 routes (nexthop objects)', async (hosts) => {
  // The host's own routing, as FRR would install it: a nexthop object on the management device.
  await hosts.onHost('node0', ['sh', '-c', [
    'ip -6 addr add fd00:300::10/64 dev mgmt nodad',
    'ip nexthop add id 7 via fd00:300::1 dev mgmt',
    'ip -6 route add default nhid 7',
    'ip -6 route add 2001:db8:100::/48 nhid 7',
  ].join(' && ')]);
  const routes = async () => (await hosts.onHost('node0', ['ip', '-6', 'route', 'show'])).split('\n').filter((l) => l.includes('nhid')).sort();
  const file = join(hosts.dir, 'nhid.yaml');
  await writeFile(file, scenarioText('nhid route del', onNode0([
    'ip link add va type veth peer name vb',
    'ip -6 route del default dev va',
    'ip -6 route del 2001:db8:100::/48 dev va',
  ])));
  const before = await routes();
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await routes();
  const clean = await hosts.runCli(['clean']);
  const afterClean = await routes();
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}\nclean ${clean.exitCode}:\n${clean.stdout}${clean.stderr}`;
  expect(before).toHaveLength(2);
  expect({ after, afterClean }, said).toEqual({ after: before, afterClean: before });
});

// The same hole on the ssh connection's own route: `del` is not held off the connection's ends
// (coverProblem runs for adding verbs), so where the host reaches the harness through a route
// on a nexthop object (an IPv6 management network routed by FRR), one step strands the host.
onFreshHosts('deleting a route "on" a created device cannot take the route back to the harness (nexthop object)', async (hosts) => {
  // node0 reaches the management network through a nexthop object, not the kernel's prefix route.
  await hosts.onHost('node0', ['sh', '-c', [
    'ip -6 nexthop add id 9 dev mgmt',
    'ip -6 route add fd00:200::/64 nhid 9 metric 1',
    'ip -6 route del fd00:200::/64 dev mgmt proto kernel',
  ].join(' && ')]);
  const file = join(hosts.dir, 'nhid-strand.yaml');
  await writeFile(file, scenarioText('nhid strand', onNode0([
    'ip link add va type veth peer name vb',
    'ip -6 route del fd00:200::/64 dev va',
  ])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const routes = await hosts.onHost('node0', ['ip', '-6', 'route', 'show']);
  const links = await hosts.onHost('node0', ['ip', '-br', 'link', 'show']);
  // A new connection after the run: clean has nothing to do, if the host still answers.
  const next = await hosts.runCli(['clean']);
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}\nroutes:\n${routes}\nlinks:\n${links}\nclean after ${next.exitCode}:\n${next.stdout}${next.stderr}`;
  // Refused at load (exit 2), or the run ends with the host reachable and put back.
  expect(routes, said).toContain('fd00:200::/64 nhid 9');
  expect(links, said).not.toMatch(/^va\b/m);
}, { ipv6: true });
