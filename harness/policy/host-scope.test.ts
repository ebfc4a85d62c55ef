import { describe, expect, it } from 'vitest';
import { listScenarioNames, loadScenario, parseScenarioText } from '../scenario/resolve.ts';
import { ValidationError } from '../util/errors.ts';
import { checkArgvOnHost, checkInvocation, checkOnHost, startScope, type HostScope } from './policy.ts';

const scope: HostScope = { devices: new Set(['vxlan0', 'br0', 'veth0', 'veth1']), namespaces: new Set(['vm0']), nic: 'enp0s8' };
const on = (command: string) => checkArgvOnHost(command.split(' '), scope);

describe('the host scope (ssh: the policy is the only layer between a step and a real host)', () => {
  it.each([
    'ip link add vxlan0 type vxlan id 42 dstport 4789 local 192.168.8.100 dev enp0s8',
    'ip link add br0 type bridge',
    'ip link set vxlan0 master br0',
    'ip link set dev vxlan0 up',
    'ip link set dev vxlan0 name vx9',
    'ip link set veth0 netns vm0',
    'ip addr add 10.20.1.2/24 dev vxlan0',
    'ip neigh add 10.20.1.3 lladdr 4e:e9:90:34:2e:b5 dev vxlan0',
    'ip route add 10.30.0.0/16 dev vxlan0',
    'bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.101',
    'tc qdisc add dev vxlan0 root pfifo limit 7',
    'ip -j link show',
    'ip -j addr show dev enp0s8',
    'ip -j neigh show dev vxlan0',
    'bridge -j fdb show dev vxlan0',
    'ip rule show',
    'ip route show table all',
    'tcpdump -i enp0s8 -n -U -w -',
    'ip netns add vm0',
    'ip netns exec vm0 ip link set dev eth0 up',
    'ip netns exec vm0 ip addr add 192.168.1.3/24 dev eth0',
    'ip -n vm0 link set dev lo up',
    'sysctl -w net.ipv4.conf.vxlan0.forwarding=1',
  ])('allows %s', (command) => {
    expect(on(command)).toBeUndefined();
  });

  it.each([
    ['ip link set dev enp0s8 down', 4, /the host's NIC enp0s8/],
    ['ip link set dev enp0s8 name lab9', 4, /the host's NIC enp0s8/],
    ['ip link set dev mgmt netns vm0', 4, /"mgmt", which the steps do not create/],
    ['ip link set vxlan0 netns docker1', 5, /guest namespace "docker1"/],
    ['ip link del enp0s8', 3, /NIC enp0s8/],
    ['ip link delete dev eth1', 4, /"eth1"/],
    ['ip link set group 0 down', 4, /group/],
    ['ip link set vxlan0 master docker0', 5, /"docker0"/],
    ['ip link add vx1 type vxlan id 1 dev eth1', 9, /builds on device "eth1"/],
    ['ip link add vx1 type bridge master docker0', 7, /"docker0"/],
    ['ip addr flush dev enp0s8', 4, /NIC enp0s8/],
    ['ip addr add 10.0.0.1/24 dev enp0s8', 5, /NIC enp0s8/],
    ['ip route flush table main', 2, /ip route flush/],
    ['ip route add default via 192.168.8.1', 2, /without naming a device/],
    ['ip route del 10.0.0.0/8 dev mgmt', 5, /"mgmt"/],
    ['ip rule add from 10.9.9.9 lookup 100 pref 5', 2, /policy routing rules/],
    ['ip nexthop add id 1 dev vxlan0', 2, /nexthops/],
    ['ip neigh flush dev mgmt', 4, /"mgmt"/],
    ['tc qdisc add dev enp0s8 root pfifo limit 7', 4, /NIC enp0s8/],
    ['tc qdisc del dev mgmt root', 4, /"mgmt"/],
    ['bridge fdb add 00:11:22:33:44:55 dev docker0', 5, /"docker0"/],
    ['bridge link set dev enp0s8 learning off', 4, /NIC enp0s8/],
    ['ip netns del docker-ns', 3, /guest namespace "docker-ns"/],
    ['ip netns exec docker-ns ip link show', 3, /guest namespace "docker-ns"/],
    ['ip netns exec vm0 ip netns del other', 5, /inside guest namespace vm0/],
    ['ip -n other link set dev eth0 down', 2, /guest namespace "other"/],
    ['tcpdump -i mgmt -n -w -', 2, /reads device "mgmt"/],
    ['ip -j addr show dev mgmt', 5, /reads device "mgmt"/],
    ['sysctl -w net.ipv6.conf.mgmt.disable_ipv6=1', 2, /device "mgmt"/],
  ])('refuses %s at the word at fault', (command, index, message) => {
    const problem = on(command);
    expect(problem?.index).toBe(index);
    expect(problem?.message).toMatch(message);
  });

  it('checks each line of vxlab\'s own batch against the scope too', () => {
    expect(checkInvocation(['ip', '-batch', '-'], 'link set dev vxlan0 up\n', scope)).toBeUndefined();
    expect(checkInvocation(['ip', '-batch', '-'], 'link set dev vxlan0 up\nlink set dev enp0s8 down\n', scope)).toMatchObject({ line: 2, message: expect.stringMatching(/NIC enp0s8/) });
    // Without a scope (netns, container) the same batch is the sandbox's business.
    expect(checkInvocation(['ip', '-batch', '-'], 'link set dev enp0s8 down\n')).toBeUndefined();
  });

  it('lets every tutorial scenario load for the ssh backend', async () => {
    const names = await listScenarioNames();
    const problems: string[] = [];
    for (const name of names) await loadScenario(name, { onHosts: true }).catch((e: unknown) => problems.push(`${name}: ${String(e)}`));
    expect(problems).toEqual([]);
  });

  it('refuses at load, file:line:col, what leaves the steps\' own devices', async () => {
    const text = 'lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n      - ip netns add vm0\n      - ip link set dev mgmt netns vm0\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n';
    const error = await parseScenarioText('mgmt.yaml', text, { onHosts: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^mgmt\.yaml:9:25: steps\[0\]\.run\[1\] changes \(set\) "mgmt", which the steps do not create.*\(--backend ssh\)$/);
    // Other backends have their sandbox: the same scenario loads there.
    await expect(parseScenarioText('mgmt.yaml', text)).resolves.toBeDefined();
  });

  // A second stranger's attack on the scope (this session): each of these got through before.
  it('refuses a device named if<N>, which iproute2 reads as an interface index when no device has that name', async () => {
    const text = 'lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n      - ip link add if3 type bridge\n      - ip link set dev if3 name vx7\n      - ip link del if3\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n';
    await expect(parseScenarioText('ifindex.yaml', text, { onHosts: true })).rejects.toBeInstanceOf(ValidationError);
    await expect(parseScenarioText('ifindex.yaml', text)).rejects.toBeInstanceOf(ValidationError);
  });

  it.each(['ip route add 10.9.0.0/16 dev vxlan0 oif mgmt', 'ip route del default dev vxlan0 oif mgmt', 'ip route replace default dev vxlan0 oif mgmt'])('refuses %s: oif is dev to ip route', (command) => {
    expect(on(command)).toBeDefined();
  });

  it.each(['ip link set name vxlan0 enp0s8', 'ip link set name vxlan0 mgmt', 'ip link del name vxlan0 mgmt'])('refuses %s: a new name first, and the device is a bare word further on', (command) => {
    expect(on(command)?.message).toMatch(/names the new name before the device/);
  });

  it('refuses a NUL (or any control character) inside a command, on every backend: ip -batch would end the line there', async () => {
    const text = 'lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n      - ip link add vx9 type bridge\n      - "ip route del 192.168.8.0/24\\0x dev vx9"\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n';
    await expect(parseScenarioText('nul.yaml', text, { onHosts: true })).rejects.toThrow(/control character \(U\+0000\)/);
    await expect(parseScenarioText('nul.yaml', text)).rejects.toThrow(/control character \(U\+0000\)/);
    expect(checkInvocation(['ip', '-batch', '-'], 'route del 192.168.8.0/24\0x dev vx9\n')).toBeDefined();
  });
});


// A third pass over the scope (scope3): keyword-named devices, routes over the ssh connection,
// an ordered scope, the checks' own commands at load.
const yaml = (run: string, checks = '  - ping: { from: node0, to: 192.168.8.101 }\n') =>
  `lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n${run.split('\n').map((l) => `      - ${l}\n`).join('')}checks:\n${checks}`;

describe('device words read as iproute2 reads them', () => {
  it.each([
    ['ip link add name down type bridge', 'down'],
    ['ip link add dev up type dummy', 'up'],
    ['ip link add name m type bridge', 'master'],
    ['ip link add dev t type bridge', 'txqueuelen'],
    ['ip link add vx9 type veth peer name nomaster', 'nomaster'],
    ['ip link add vx9 type bridge\nip link set dev vx9 name help', 'help'],
  ])('refuses creating a device named like an ip link keyword, on every backend: %s', async (run, keyword) => {
    for (const onHosts of [true, false]) {
      await expect(parseScenarioText('kw.yaml', yaml(run), { onHosts })).rejects.toThrow(new RegExp(`iproute2 reads as the keyword \`${keyword}\``));
    }
  });

  it('finds the device after a keyword, as iplink_parse does: `ip link set down enp0s8` acts on enp0s8', () => {
    const withKeywordNamed: HostScope = { ...scope, devices: new Set([...scope.devices, 'down']) };
    const problem = checkArgvOnHost('ip link set down enp0s8'.split(' '), withKeywordNamed);
    expect(problem).toMatchObject({ index: 4, message: expect.stringMatching(/NIC enp0s8/) });
  });

  it.each([
    ['ip link set vxlan0 m docker0', 5, /"docker0"/],
    ['ip link set vxlan0 mast docker0', 5, /"docker0"/],
    ['ip link add vx1 ma docker0 type bridge', 5, /"docker0"/],
    ['ip link set vxlan0 vrf mgmt-vrf', 5, /"mgmt-vrf"/],
    ['ip link set dev vxlan0 up down enp0s8', 7, /NIC enp0s8/],
    ['bridge fdb add 00:11:22:33:44:55 dev vxlan0 brport enp0s8', 7, /NIC enp0s8/],
    ['bridge fdb add 00:11:22:33:44:55 brport enp0s8', 5, /NIC enp0s8/],
    ['ip link add vx1 type vxlan id 1 d mgmt', 9, /builds on device "mgmt"/],
    ['ip link add vx1 type gre remote 10.9.9.9 de mgmt', 9, /builds on device "mgmt"/],
  ])('reads keyword prefixes as iproute2: %s', (command, index, message) => {
    expect(on(command)).toMatchObject({ index, message: expect.stringMatching(message) });
  });
});

describe('routes and addresses stay off the ssh connection\'s ends', () => {
  const ends = (...addresses: string[]) => addresses.map((address) => ({ address, role: 'end' as const }));
  const guarded: HostScope = { ...scope, protect: ends('10.200.0.1', '10.200.0.10') };
  const guarded6: HostScope = { ...scope, protect: ends('fd00:200::1', '::ffff:10.200.0.10') };
  it.each([
    'ip route add 10.200.0.1/32 dev vxlan0',
    'ip route add 10.200.0.1 dev vxlan0',
    'ip route add default dev vxlan0',
    'ip route replace 0.0.0.0/0 dev vxlan0',
    'ip route replace 0/0 dev vxlan0',
    'ip route add 10.200/16 dev vxlan0',
    'ip route add 0xa.0310.0.1 dev vxlan0',
    'ip route add 10.0.0.0/255.0.0.0 dev vxlan0',
    'ip route append 10.0.0.0/8 dev vxlan0',
    'ip route change to 10.200.0.0/24 dev vxlan0',
    'ip route add 10.30.0.0/16 via 10.200.0.1 dev vxlan0',
    'ip addr add 10.200.0.1/32 dev vxlan0',
    'ip addr add 10.200.0.99/24 dev vxlan0',
    'ip addr add 10.9.9.9/32 peer 10.200.0.1 dev vxlan0',
    'ip addr replace 10.200.0.10/32 dev vxlan0',
  ])('refuses %s when the harness is 10.200.0.1 and the host 10.200.0.10', (command) => {
    expect(checkArgvOnHost(command.split(' '), guarded)?.message).toMatch(/covers 10\.200\.0\.10?, an end of the ssh connection/);
  });
  it.each(['ip -6 route add ::/0 dev vxlan0', 'ip route add fd00:200::/64 dev vxlan0', 'ip route add default dev vxlan0', 'ip route add 10.200.0.0/24 dev vxlan0'])('refuses %s over IPv6 (and an IPv4-mapped end)', (command) => {
    expect(checkArgvOnHost(command.split(' '), guarded6)).toBeDefined();
  });
  it.each([
    'ip route add 10.30.0.0/16 dev vxlan0',
    'ip route add 10.30.0.0/16 dev vxlan0 table 10 metric 10',
    'ip addr add 10.20.1.2/24 dev vxlan0',
    'ip route del default dev vxlan0',
    'ip route add fd00:300::/64 dev vxlan0',
    'ip netns exec vm0 ip route add default via 192.168.1.1',
  ])('allows %s', (command) => {
    expect(checkArgvOnHost(command.split(' '), guarded)).toBeUndefined();
    expect(checkArgvOnHost(command.split(' '), guarded6)).toBeUndefined();
  });

  // A routed connection: the harness at 10.201.0.2, reached through the host's gateway 10.200.0.1.
  const routed: HostScope = { ...scope, protect: [...ends('10.201.0.2', '10.200.0.10'), { address: '10.200.0.1', role: 'gateway' }] };
  it.each(['ip addr add 10.200.0.2/30 dev vxlan0', 'ip route add 10.200.0.1/32 dev vxlan0', 'ip route add 10.200.0.0/29 dev vxlan0'])('refuses %s, which covers the gateway, saying so', (command) => {
    expect(checkArgvOnHost(command.split(' '), routed)?.message).toMatch(/covers 10\.200\.0\.1, the gateway the ssh connection vxlab reaches this host by goes through; it would cut the host off/);
  });
  it('allows what covers neither end nor the gateway', () => {
    expect(checkArgvOnHost('ip addr add 10.200.0.6/30 dev vxlan0'.split(' '), routed)).toBeUndefined();
  });
});

describe('the scope is ordered: a device counts from the step that creates it', () => {
  it.each([
    ['ip link set dev vx9 down\nip link add vx9 type bridge', 8],
    ['ip link add vx9 type bridge\nip link del vx9\nip link set dev vx9 up', 10],
    ['ip link add vx9 type bridge\nip link set dev vx9 name lab9\nip link set dev vx9 up', 10],
    ['ip route add 10.30.0.0/16 dev vx9\nip link add vx9 type bridge', 8],
    ['ip netns exec vm0 ip link show\nip netns add vm0', 8],
    ['ip netns add vm0\nip netns del vm0\nip netns exec vm0 ip link show', 10],
  ])('refuses at load a command before its device exists (or after it went): %j', async (run, line) => {
    await expect(parseScenarioText('order.yaml', yaml(run), { onHosts: true })).rejects.toThrow(new RegExp(`^order\\.yaml:${line}:`));
  });

  it('moves on in front of the executor, line by line through a batch', () => {
    const start = startScope('enp0s8');
    expect(checkOnHost(['ip', '-batch', '-'], 'link set dev vx9 up\nlink add vx9 type bridge\n', start).problem).toMatchObject({ line: 1 });
    const after = checkOnHost(['ip', '-batch', '-'], 'link add vx9 type bridge\nlink set dev vx9 up\n', start);
    expect(after.problem).toBeUndefined();
    expect([...after.scope.devices]).toEqual(['vx9']);
    const renamed = checkOnHost(['ip', 'link', 'set', 'dev', 'vx9', 'name', 'lab9'], undefined, after.scope).scope;
    expect([...renamed.devices]).toEqual(['lab9']);
    expect(checkOnHost(['ip', 'link', 'set', 'dev', 'vx9', 'up'], undefined, renamed).problem?.message).toMatch(/"vx9", which the steps do not create/);
    const deleted = checkOnHost(['ip', 'link', 'del', 'lab9'], undefined, renamed).scope;
    expect([...deleted.devices]).toEqual([]);
    // A refused command changes nothing.
    expect(checkOnHost(['ip', 'link', 'del', 'enp0s8'], undefined, renamed).scope).toBe(renamed);
  });
});

describe('the checks\' own commands are held to the scope at load', () => {
  it('refuses a capture on the management NIC at its interface field', async () => {
    const checks = '  - capture:\n      node: node0\n      interface: mgmt\n      during:\n        - ping: { from: node0, to: 192.168.8.101, count: 1 }\n      expect:\n        - that: x\n          match: { ip: { src: 192.168.8.100 } }\n          count: 1\n';
    const text = yaml('ip link add vx9 type bridge', checks);
    await expect(parseScenarioText('cap.yaml', text, { onHosts: true })).rejects.toThrow(/^cap\.yaml:12:18: .*tcpdump -i mgmt.*reads device "mgmt"/);
    await expect(parseScenarioText('cap.yaml', text)).resolves.toBeDefined();
  });
  it('refuses a state check in a guest namespace the steps do not create', async () => {
    const checks = '  - state:\n      node: node0\n      netns: docker-ns\n      link:\n        contains:\n          - dev: vx9\n';
    await expect(parseScenarioText('st.yaml', yaml('ip link add vx9 type bridge', checks), { onHosts: true })).rejects.toThrow(/guest namespace "docker-ns"/);
  });
});

describe('in front of the executor, only what the scenario creates may be created', () => {
  const planned = startScope('enp0s8', { planned: { devices: new Set(['vxlan0']), namespaces: new Set(['vm0']) } });
  it.each([
    ['ip link add foo type bridge', 3, /device "foo", which the scenario's steps do not/],
    ['ip netns add other', 3, /guest namespace "other"/],
  ])('refuses %s (a learner\'s exec would leave what no teardown owns)', (command, index, message) => {
    expect(checkOnHost(command.split(' '), undefined, planned).problem).toMatchObject({ index, message: expect.stringMatching(message) });
  });
  it('allows the planned ones, and a rename only to a planned name', () => {
    const made = checkOnHost('ip link add vxlan0 type bridge'.split(' '), undefined, planned);
    expect(made.problem).toBeUndefined();
    expect(checkOnHost('ip link set dev vxlan0 name other9'.split(' '), undefined, made.scope).problem?.message).toMatch(/"other9"/);
    expect(checkOnHost('ip netns add vm0'.split(' '), undefined, planned).problem).toBeUndefined();
  });
});

// A fourth pass (fixscope): the third stranger's attack on the scope (NOTES "Third stranger's
// attack"). Each of these got through before, and changed the host for good or mid-run.
describe('the third attack on the host scope', () => {
  it.each([
    ['ip route replace 192.168.8.0/24 dev vxlan0', 2, /`ip route replace` would take over the host's own route/],
    ['ip route replace local 192.168.8.100 dev vxlan0 table local', 2, /`ip route replace`/],
    ['ip route change 192.168.8.0/24 dev vxlan0', 2, /`ip route change`/],
    ['ip -6 route r fd00:8::/64 dev vxlan0', 3, /`ip route replace`/],
    ['ip route chg 10.30.0.0/16 dev vxlan0', 2, /`ip route change`/],
  ])('refuses %s: NLM_F_REPLACE takes over the host\'s own route of that prefix, gone for good with the device', (command, index, message) => {
    expect(on(command)).toMatchObject({ index, message: expect.stringMatching(message) });
  });
  it.each(['ip route add 10.30.0.0/16 dev vxlan0', 'ip route append 10.30.0.0/16 dev vxlan0', 'ip route prepend 10.30.0.0/16 dev vxlan0', 'ip route del 10.30.0.0/16 dev vxlan0', 'ip netns exec vm0 ip route replace default via 192.168.1.1'])('allows %s', (command) => {
    expect(on(command)).toBeUndefined();
  });
});

describe('sysctls on a real host: an allowlist of the keys the labs use', () => {
  it.each([
    'sysctl -w net.ipv4.ip_forward=1',
    'sysctl -w net.ipv4.conf.all.forwarding=1',
    'sysctl -w net.ipv4.conf.enp0s8.forwarding=1',
    'sysctl -w net/ipv4/conf/enp0s8/forwarding=1',
    'sysctl -q -w net.ipv4.conf.vxlan0.proxy_arp=1 net.ipv4.conf.br0.rp_filter=0',
    'sysctl -w net.ipv6.conf.vxlan0.disable_ipv6=1',
    'sysctl net.ipv6.conf.all.disable_ipv6',
    'sysctl -n net.ipv6.conf.enp0s8.stable_secret net.ipv4.tcp_mem',
    'ip netns exec vm0 sysctl -w net.ipv6.conf.all.disable_ipv6=1',
  ])('allows %s', (command) => {
    expect(on(command)).toBeUndefined();
  });
  it.each([
    ['sysctl -w net.ipv6.conf.all.disable_ipv6=1', 2],
    ['sysctl -w net.ipv6.conf.default.disable_ipv6=1', 2],
    ['sysctl -w net.ipv6.conf.enp0s8.disable_ipv6=1', 2],
    ['sysctl net/ipv6/conf/all/disable_ipv6=1', 1],
    ['sysctl -w net.ipv4.conf.all.arp_ignore=8', 2],
    ['sysctl -w net.ipv4.conf.enp0s8.arp_ignore=8', 2],
    ['sysctl -w net.ipv4.conf.all.arp_filter=1', 2],
    ['sysctl -w net.ipv4.conf.enp0s8.rp_filter=1', 2],
    ['sysctl -w net.ipv4.conf.all.rp_filter=1', 2],
    ['sysctl -w net.ipv4.conf.enp0s8.arp_announce=1', 2],
    ['sysctl -w net.ipv4.conf.default.forwarding=1', 2],
    ['sysctl -w net.ipv6.conf.all.forwarding=1', 2],
    ['sysctl -w net.ipv6.conf.enp0s8.stable_secret=2001:db8::1', 2],
    ['sysctl -w net.ipv6.conf.default.stable_secret=2001:db8::2', 2],
    ['sysctl -w net.ipv6.conf.vxlan0.stable_secret=2001:db8::3', 2],
    ['sysctl -w net.ipv4.ip_forward=1 net.ipv4.neigh.default.gc_thresh3=1', 3],
    ['sysctl -w net.ipv4.neigh.vxlan0.gc_stale_time=1', 2],
  ])('refuses %s, at the key', (command, index) => {
    expect(on(command)).toMatchObject({ index, message: expect.stringMatching(/which is not a key vxlab lets a scenario change on a real host.*may set net\.ipv4\.ip_forward, net\.ipv4\.conf\.\{all,NIC,DEV\}\.forwarding.*net\.ipv6\.conf\.DEV\.\{disable_ipv6,/) });
  });
});

describe('ip maddr: add and delete are changes (its verb table), on the steps\' own devices only', () => {
  it.each([
    ['ip maddr add 01:00:5e:00:00:42 dev enp0s8', 5, /changes multicast addresses \(add\) on the host's NIC enp0s8/],
    ['ip maddr del 01:00:5e:01:02:03 dev enp0s8', 5, /changes multicast addresses \(delete\) on the host's NIC enp0s8/],
    ['ip maddress a 01:00:5e:00:00:42 dev mgmt', 5, /\(add\) on "mgmt"/],
    ['ip m d address 01:00:5e:00:00:42 dev enp0s8', 6, /\(delete\) on the host's NIC/],
    ['ip maddr add 01:00:5e:00:00:42', 2, /without naming a device/],
  ])('refuses %s', (command, index, message) => {
    expect(on(command)).toMatchObject({ index, message: expect.stringMatching(message) });
  });
  it.each(['ip maddr add 01:00:5e:00:00:42 dev vxlan0', 'ip maddr del 01:00:5e:00:00:42 dev br0', 'ip maddr show dev enp0s8', 'ip maddr', 'ip maddr lst'])('allows %s', (command) => {
    expect(on(command)).toBeUndefined();
  });
  it('refuses a word ip maddr does not know, on every backend', () => {
    expect(checkArgvOnHost('ip maddr join 01:00:5e:00:00:42 dev vxlan0'.split(' '), scope)).toMatchObject({ index: 2, message: expect.stringMatching(/which ip does not know/) });
  });
});

describe('ip stats set: only on the steps\' own devices', () => {
  it.each([
    ['ip stats set dev mgmt l3_stats on', 4, /changes the statistics \(ip stats set\) of "mgmt", which the steps do not create/],
    ['ip stats set dev enp0s8 l3_stats on', 4, /of the host's NIC enp0s8/],
    ['ip stats set l3_stats on', 2, /without naming a device/],
    ['ip stats show dev mgmt', 4, /reads device "mgmt"/],
  ])('refuses %s', (command, index, message) => {
    expect(on(command)).toMatchObject({ index, message: expect.stringMatching(message) });
  });
  it.each(['ip stats set dev vxlan0 l3_stats on', 'ip stats show dev enp0s8', 'ip stats', 'ip stats show'])('allows %s', (command) => {
    expect(on(command)).toBeUndefined();
  });
  it('refuses a verb ip stats does not know (it compares them exactly)', () => {
    expect(on('ip stats s dev vxlan0')).toMatchObject({ index: 2, message: expect.stringMatching(/which ip does not know/) });
  });
});

describe('a passthru macvlan takes its lower device over: only on the steps\' own devices', () => {
  it.each([
    ['ip link add link enp0s8 name mv9 type macvlan mode passthru', 10],
    ['ip link add link enp0s8 mv9 type macvlan m passthru', 9],
    ['ip link add mv9 link enp0s8 type macvlan mode bridge mode passthru', 11],
  ])('refuses %s', (command, index) => {
    expect(on(command)).toMatchObject({ index, message: expect.stringMatching(/makes a passthru macvlan on the host's NIC enp0s8, which takes the lower device over/) });
  });
  it.each(['ip link add link enp0s8 name mv9 type macvlan mode bridge', 'ip link add link enp0s8 name mv9 type macvlan', 'ip link add link br0 name mv9 type macvlan mode passthru'])('allows %s', (command) => {
    expect(on(command)).toBeUndefined();
  });
});
