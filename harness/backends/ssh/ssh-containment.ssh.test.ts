// What a stranger's attack on the ssh backend found (issue 13, attack section of NOTES), kept as
// tests: a hosts file runs nothing on the harness host; teardown and `clean` delete only what the
// run's steps name; a step cannot reach host devices it did not create; names that ip -batch
// would read as comments or quotes never reach a batch. Each failed on main before the fix.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab, PROJECT_ROOT } from '../../scenario/resolve.ts';
import { CLI, outputUntil, stderrUntil } from '../../testing/host.ts';
import { HELD_AFTER_FIRST_CHECK, PAUSED } from '../../testing/moments.ts';
import { onFreshHosts, scenarioText } from './testing/fresh-hosts.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();


const scenario = (steps: string) => scenarioText('attack', steps);

describe('hosts file: it names where to log in, never what runs on the harness host', () => {
  it('an ssh_config named by the hosts file (here: the hosts file itself) is refused before ssh reads it: no Match exec', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vxlab-attack-'));
    try {
      // A valid hosts file that is also an ssh_config: ssh skips the YAML lines as bad options
      // but evaluates `Match exec` (a YAML block scalar's indented line) while it parses.
      await writeFile(join(dir, 'hosts.yaml'), `ssh_config: ./hosts.yaml\nnodes:\n  node0: 192.0.2.10\n  node1:\n    host: 192.0.2.11\n    identity: |\n      Match exec "touch ${dir}/PWNED"\n  node2: 192.0.2.12\n`);
      const r = await execa(process.execPath, [CLI, 'p2p', '--backend', 'ssh', '--hosts', join(dir, 'hosts.yaml')], { cwd: PROJECT_ROOT, reject: false, timeout: 60_000 });
      expect(await readdir(dir)).not.toContain('PWNED');
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${join(dir, 'hosts.yaml')}:1:1:`);
      expect(r.stderr).toMatch(/hosts\.yaml:7:7: `Match` is refused/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(missing !== undefined)('ssh: a run touches only what its steps create', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
  });
  afterAll(() => hosts?.stop());

  it('a qdisc or a policy rule on the host is refused at load (file:line:col, exit 2), and nothing changes', async () => {
    const file = join(hosts.dir, 'unrecorded.yaml');
    await writeFile(file, scenario('  - node: node0\n    run:\n      - tc qdisc add dev enp0s8 root pfifo limit 7\n      - ip rule add from 10.9.9.9 lookup 100 pref 5\n'));
    const before = await hosts.state('node0');
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toMatch(/unrecorded\.yaml:8:\d+: .*enp0s8/);
    expect(run.stderr).toMatch(/unrecorded\.yaml:9:\d+: .*ip rule/);
    expect(await hosts.onHost('node0', ['tc', 'qdisc', 'show', 'dev', 'enp0s8'])).not.toContain('limit 7');
    expect(await hosts.state('node0')).toEqual(before);
  });

  it('a device named "enp0s8#" (a comment to ip -batch) is refused at load, and the host keeps its enp0s8', async () => {
    const file = join(hosts.dir, 'hashname.yaml');
    await writeFile(file, scenario('  - node: node0\n    run:\n      - ip link add enp0s8# type bridge\n'));
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toMatch(/hashname\.yaml:8:\d+: .*enp0s8#/);
    expect((await hosts.state('node0')).links!.join('\n')).toContain('ifname="enp0s8"');
  });

  it('a device someone else adds on the host during the run survives the run\'s teardown, named as not ours', async () => {
    const child = hosts.startCli(['p2p', '--reporter', 'tap'], HELD_AFTER_FIRST_CHECK);
    const paused = stderrUntil(child, PAUSED);
    await outputUntil(child, 'ok 1 - ');
    await hosts.onHost('node0', ['ip', 'link', 'add', 'other0', 'type', 'bridge']);
    await paused;
    child.kill('SIGUSR2');
    const run = await child;
    const links = (await hosts.state('node0')).links!.join('\n');
    await hosts.onHost('node0', ['ip', 'link', 'del', 'other0']);
    expect(links).toContain('ifname="other0"');
    expect(links).not.toContain('ifname="vxlan0"');
    expect(String(run.stderr)).toMatch(/other0.*not ours, left alone/);
    expect(run.exitCode, String(run.stdout) + String(run.stderr)).toBe(0);
  });
});


onFreshHosts('renaming the host\'s own NIC is refused at load, so teardown cannot delete it', async (hosts) => {
  const file = join(hosts.dir, 'rename-nic.yaml');
  await writeFile(file, scenario('  - node: node0\n    run:\n      - ip link set dev enp0s8 down\n      - ip link set dev enp0s8 name lab9\n'));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect(run.exitCode, run.stdout + run.stderr).toBe(2);
  expect(run.stderr).toMatch(/rename-nic\.yaml:8:\d+: .*enp0s8/);
  expect(run.stderr).toMatch(/rename-nic\.yaml:9:\d+: .*enp0s8/);
  expect((await hosts.state('node0')).links!.join('\n')).toMatch(/ifname="enp0s8" mtu=1500 flags=\[[^\]]*"UP"/);
});

onFreshHosts('a device the steps create and rename to __proto__ is deleted at teardown', async (hosts) => {
  const file = join(hosts.dir, 'proto.yaml');
  await writeFile(file, scenario('  - node: node0\n    run:\n      - ip link add vx9 type vxlan id 99 dstport 4790 local 192.168.8.100 dev enp0s8\n      - ip link set dev vx9 name __proto__\n'));
  const before = await hosts.state('node0');
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect(run.exitCode, `${run.stdout}${run.stderr}`).toBe(0);
  expect((await hosts.state('node0')).links!.join('\n')).not.toContain('ifname="__proto__"');
  expect(await hosts.state('node0')).toEqual(before);
});

onFreshHosts('a step cannot move the host\'s management NIC into a guest namespace', async (hosts) => {
  const file = join(hosts.dir, 'mgmt-down.yaml');
  await writeFile(file, scenario('  - node: node0\n    run:\n      - ip netns add vm0\n      - ip link set dev mgmt netns vm0\n'));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const state = await hosts.state('node0');
  expect(run.exitCode, `${run.stdout}${run.stderr}`).toBe(2);
  expect(run.stderr).toMatch(/mgmt-down\.yaml:9:\d+: .*mgmt/);
  expect(state.links!.join('\n')).toContain('ifname="mgmt"');
  expect(state.netns).toEqual([]);
});

// Quotes, $() and backquotes are refused at load now (in names everywhere; in filters since the
// seventeenth attack, which allows only numbers, addresses and keywords). What a filter may still
// hold that a shell would act on (`&`, `|`, `<`, `>`, `(`, `*`) must reach tcpdump as one word:
// the check runs and passes, and no file appears where the remote command runs.
onFreshHosts('shell characters a capture filter may hold reach the host as one word, never as shell', async (hosts) => {
  const file = join(hosts.dir, 'quoting.yaml');
  await writeFile(file, `lab: three-nodes
title: t
tutorial: t
explain: t
steps:
  - node: node0
    run:
      - ip link show dev enp0s8
checks:
  - capture:
      node: node1
      interface: enp0s8
      filter: "(udp and len > 1 and len < 0) or (udp[0] & 1 != 0 and len * 2 > 100000) || (udp[1] | 1 = 0) or icmp"
      during:
        - ping: { from: node0, to: 192.168.8.101, count: 1 }
      expect:
        - that: x
          match: { ip: { src: 192.168.8.100 } }
          count: 1
`);
  const home = () => hosts.onHost('node1', ['sh', '-c', 'ls -A /root /run; true']);
  const before = await home();
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^ok 1 /m);
  expect(await home()).toBe(before);
});

onFreshHosts('clean after a killed run deletes only what that run created, not what the host gained since', async (hosts) => {
  const child = hosts.startCli(['p2p', '--reporter', 'tap'], HELD_AFTER_FIRST_CHECK);
  await outputUntil(child, 'ok 1 - ');
  child.kill('SIGKILL');
  await child;
  // Later, the host's owner adds a bridge (or docker, libvirt, a VPN does) before anyone runs clean.
  await hosts.onHost('node0', ['ip', 'link', 'add', 'owner0', 'type', 'bridge']);
  const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
  const links = (await hosts.state('node0')).links!.join('\n');
  await hosts.onHost('node0', ['ip', 'link', 'del', 'owner0']);
  expect(links, clean.stdout + clean.stderr).toContain('ifname="owner0"');
  expect(links).not.toContain('ifname="vxlan0"');
  expect(clean.stdout + clean.stderr).toMatch(/owner0.*not ours, left alone/);
  expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
});

onFreshHosts('a host that cannot be put back ends the run as a named failure, exit 4, not an internal error', async (hosts) => {
  // p2p, whose node0 also turns forwarding on for its NIC (a key the steps may write, restored at teardown).
  const p2p = await readFile(join(PROJECT_ROOT, 'scenarios', 'p2p.yaml'), 'utf8');
  const file = join(hosts.dir, 'p2p-forwarding.yaml');
  await writeFile(file, p2p.replace('      - ip link set vxlan0 up\n', '      - ip link set vxlan0 up\n      - sysctl -w net.ipv4.conf.enp0s8.forwarding=1\n'));
  const child = hosts.startCli([file, '--reporter', 'tap'], HELD_AFTER_FIRST_CHECK);
  const paused = stderrUntil(child, PAUSED);
  // A run that ends before its first check fails here, with what it said, instead of waiting forever.
  const first = await Promise.race([outputUntil(child, 'ok 1 - ').then(() => undefined), child.then((r) => `the run ended before its first check (exit ${r.exitCode}): ${String(r.stdout)}${String(r.stderr)}`)]);
  expect(first).toBeUndefined();
  // Another tool renames the host's NIC mid-run: its key is gone, so the run cannot put its value back, and must say so.
  await hosts.onHost('node0', ['ip', '-batch', '-'], 'link set dev enp0s8 down\nlink set dev enp0s8 name enp0s9\n');
  await paused;
  child.kill('SIGUSR2');
  const run = await child;
  const forwarding = await hosts.onHost('node0', ['sysctl', '-n', 'net.ipv4.conf.enp0s9.forwarding']);
  await hosts.onHost('node0', ['ip', '-batch', '-'], 'link set dev enp0s9 name enp0s8\nlink set dev enp0s8 up\n');
  const output = String(run.stdout) + String(run.stderr);
  expect(run.exitCode, output).toBe(4);
  expect(forwarding.trim()).toBe('1');
  expect(String(run.stderr)).toMatch(/node0 \(10\.200\.0\.10\) could not be restored; left on it:\n(?: {4}.*\n)*? {4}- sysctl net\.ipv4\.conf\.enp0s8\.forwarding = 0/);
  // And why: the restore's own words.
  expect(String(run.stderr)).toMatch(/\n {2}the restore said:\n {4}sysctl: .*enp0s8\/forwarding/);
  // The rename itself is the other tool's: named, not undone, not a leftover.
  expect(String(run.stderr)).toMatch(/enp0s9.*not ours, left alone/);
  expect(String(run.stderr)).not.toMatch(/left on it:\n(?: {4}.*\n)*? {4}. link enp0s/);
  expect(String(run.stderr)).not.toMatch(/internal error|AggregateError/);
  expect(String(run.stdout)).toMatch(/^Bail out! a host could not be restored/m);
  // The lab's own device went all the same, and the marker stays for clean.
  expect((await hosts.state('node0')).links!.join('\n')).not.toContain('ifname="vxlan0"');
  expect((await hosts.state('node0')).run).toContain('vxlab');
});

onFreshHosts('a route, an address and a neighbour others change on the NIC mid-run are theirs: teardown and clean leave them, and say so', async (hosts) => {
  const others = (verb: 'add' | 'del') => [
    ['ip', 'addr', verb, '192.168.9.5/24', 'dev', 'enp0s8'],
    ['ip', 'route', verb, '10.77.0.0/16', 'via', '192.168.8.1', 'dev', 'enp0s8'],
  ];
  // The host's own permanent neighbour on the NIC, there before the run; another tool removes it mid-run.
  await hosts.onHost('node0', ['ip', 'neigh', 'replace', '192.168.8.77', 'lladdr', '02:00:00:00:00:77', 'dev', 'enp0s8', 'nud', 'permanent']);
  const expectTheirs = async (stderr: string) => {
    const state = await hosts.state('node0');
    expect(state.addresses, stderr).toContain('enp0s8 192.168.9.5/24');
    expect(state.routes!.join('\n')).toContain('dst="10.77.0.0/16" dev="enp0s8" gateway="192.168.8.1"');
    expect(state.neighbours!.join('\n')).not.toContain('192.168.8.77');
    expect(state.links!.join('\n')).not.toContain('ifname="vxlan0"');
    expect(state.run).not.toContain('vxlab');
    expect(stderr).toMatch(/node0 \(10\.200\.0\.10\): .*added address 192\.168\.9\.5\/24 dev enp0s8.*not ours, left alone/);
    expect(stderr).toMatch(/node0 .*added route 4 table main 10\.77\.0\.0\/16 dev enp0s8 via 192\.168\.8\.1.*not ours, left alone/);
    expect(stderr).toMatch(/node0 .*removed neighbour 192\.168\.8\.77 dev enp0s8 lladdr 02:00:00:00:00:77.*not ours, left alone/);
    expect(stderr).not.toMatch(/could not be restored/);
  };

  // Teardown: the run held between its steps while another tool changes the NIC, then interrupted.
  const child = hosts.startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  await stderrUntil(child, PAUSED);
  for (const argv of others('add')) await hosts.onHost('node0', argv);
  await hosts.onHost('node0', ['ip', 'neigh', 'del', '192.168.8.77', 'dev', 'enp0s8']);
  child.kill('SIGINT');
  const run = await child;
  expect(run.exitCode, String(run.stdout) + String(run.stderr)).toBe(130);
  await expectTheirs(String(run.stderr));

  // clean, after a run killed at the same moment, the NIC's changes made meanwhile.
  for (const argv of others('del')) await hosts.onHost('node0', argv);
  await hosts.onHost('node0', ['ip', 'neigh', 'replace', '192.168.8.77', 'lladdr', '02:00:00:00:00:77', 'dev', 'enp0s8', 'nud', 'permanent']);
  const killed = hosts.startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  await stderrUntil(killed, PAUSED);
  killed.kill('SIGKILL');
  await killed;
  for (const argv of others('add')) await hosts.onHost('node0', argv);
  await hosts.onHost('node0', ['ip', 'neigh', 'del', '192.168.8.77', 'dev', 'enp0s8']);
  const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
  expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
  await expectTheirs(clean.stderr);
});

onFreshHosts('turning forwarding on for the whole host and back leaves each device\'s own forwarding and accept_redirects as they were', async (hosts) => {
  const key = (k: string) => hosts.onHost('node0', ['sysctl', '-n', k]).then((v) => v.trim());
  // A host that forwards on one device only and refuses redirects (a hardened host).
  await hosts.onHost('node0', ['sysctl', '-q', '-w', 'net.ipv4.conf.mgmt.forwarding=1', 'net.ipv4.conf.all.accept_redirects=0']);
  const file = join(hosts.dir, 'ip-forward.yaml');
  await writeFile(file, scenario('  - node: node0\n    run:\n      - sysctl -w net.ipv4.ip_forward=1\n'));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  // Writing ip_forward=0 back turns every device's forwarding off and accept_redirects on: both put back.
  expect({
    ip_forward: await key('net.ipv4.ip_forward'), mgmt: await key('net.ipv4.conf.mgmt.forwarding'), enp0s8: await key('net.ipv4.conf.enp0s8.forwarding'),
    accept_redirects: await key('net.ipv4.conf.all.accept_redirects'),
  }).toEqual({ ip_forward: '0', mgmt: '1', enp0s8: '0', accept_redirects: '0' });
});

// A third pass (scope3): the holes a second stranger's attack left in the host scope. Each of
// these changed or stranded a host before the fix.
onFreshHosts('a device named like an ip link keyword cannot make `ip link set down mgmt` act on mgmt', async (hosts) => {
  const file = join(hosts.dir, 'keyword.yaml');
  await writeFile(file, scenario('  - node: node0\n    run:\n      - ip link add name down type bridge\n      - ip link set down mgmt\n'));
  const before = await hosts.state('node0');
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect(run.exitCode, run.stdout + run.stderr).toBe(2);
  expect(run.stderr).toMatch(/keyword\.yaml:8:\d+: .*iproute2 reads as the keyword `down`/);
  expect(await hosts.state('node0')).toEqual(before);
});

onFreshHosts('a route or an address over the ssh connection\'s ends is refused at preflight (exit 3), before anything runs', async (hosts) => {
  const file = join(hosts.dir, 'strand.yaml');
  await writeFile(file, scenario('  - node: node0\n    run:\n      - ip link add vx9 type bridge\n      - ip link set dev vx9 up\n      - ip route add 10.200.0.1/32 dev vx9\n  - node: node1\n    run:\n      - ip link add vx9 type bridge\n      - ip addr add 10.200.0.11/32 dev vx9\n      - ip route append default dev vx9\n'));
  const before = await hosts.states();
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect(run.exitCode, run.stdout + run.stderr).toBe(3);
  expect(run.stderr).toMatch(/node0: step `ip route add 10\.200\.0\.1\/32 dev vx9` routes \(add\) 10\.200\.0\.1\/32, which covers 10\.200\.0\.1, an end of the ssh connection/);
  expect(run.stderr).toMatch(/node1: step `ip addr add 10\.200\.0\.11\/32 dev vx9` adds the address 10\.200\.0\.11\/32, which covers 10\.200\.0\.11,/);
  expect(run.stderr).toMatch(/node1: step `ip route append default dev vx9` routes \(append\) default, which covers 10\.200\.0\.1,/);
  expect(await hosts.states()).toEqual(before);
});

onFreshHosts('a created name equal to an altname of the host\'s NIC is refused at preflight (exit 3); a step before the creating one is refused at load', async (hosts) => {
  await hosts.onHost('node0', ['ip', 'link', 'property', 'add', 'dev', 'enp0s8', 'altname', 'lab0']);
  try {
    const before = await hosts.state('node0');
    // In order: iproute2 finds enp0s8 by its altname, so `ip link set dev lab0 mtu 1400` would change the NIC.
    const file = join(hosts.dir, 'altname.yaml');
    await writeFile(file, scenario('  - node: node0\n    run:\n      - ip link add lab0 type bridge\n      - ip link set dev lab0 mtu 1400\n'));
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    expect(run.stderr).toMatch(/node0: enp0s8 has the altname lab0, a device the steps create, so the steps would act on enp0s8; remove the altname \(sudo ip link property del dev enp0s8 altname lab0\)/);
    // Out of order (the step acts first, the device is "created" later): the scope is ordered, exit 2 at load.
    const early = join(hosts.dir, 'early.yaml');
    await writeFile(early, scenario('  - node: node0\n    run:\n      - ip link set dev lab0 down\n      - ip link add lab0 type bridge\n'));
    const first = await hosts.runCli([early, '--reporter', 'tap']);
    expect(first.exitCode, first.stdout + first.stderr).toBe(2);
    expect(first.stderr).toMatch(/early\.yaml:8:\d+: .*"lab0", which the steps do not create/);
    expect(await hosts.state('node0')).toEqual(before);
  } finally {
    await hosts.onHost('node0', ['ip', 'link', 'property', 'del', 'dev', 'enp0s8', 'altname', 'lab0']);
  }
});

onFreshHosts('in front of the executor, the scope is ordered, keeps to the planned names and keeps routes off the ssh connection: exit 126', async (hosts) => {
  const before = await hosts.state('node0');
  const commands: [string, string[]][] = [
    // Not created yet: the probe's lab has run no step.
    ['node0', ['ip', 'link', 'set', 'dev', 'vxlan0', 'up']],
    ['node0', ['ip', 'link', 'add', 'vxlan0', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '192.168.8.100', 'dev', 'enp0s8']],
    ['node0', ['ip', 'link', 'set', 'dev', 'vxlan0', 'up']],
    ['node0', ['ip', 'route', 'add', '10.200.0.1/32', 'dev', 'vxlan0']],
    ['node0', ['ip', 'route', 'replace', 'default', 'dev', 'vxlan0']],
    ['node0', ['ip', 'link', 'add', 'other9', 'type', 'bridge']],
    ['node0', ['ip', 'link', 'set', 'down', 'enp0s8']],
    ['node0', ['ip', 'route', 'add', '10.30.0.0/16', 'dev', 'vxlan0']],
  ];
  const probe = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'harness/backends/ssh/testing/exec-probe.ts'), hosts.hostsFile, 'p2p', JSON.stringify(commands)], { cwd: PROJECT_ROOT, reject: false, timeout: 120_000 });
  expect(probe.exitCode, probe.stderr).toBe(0);
  const results = JSON.parse(probe.stdout) as { exitCode: number; stderr: string }[];
  expect(results.map((r) => r.exitCode), JSON.stringify(results)).toEqual([126, 0, 0, 126, 126, 126, 126, 0]);
  expect(results[0]!.stderr).toMatch(/"vxlan0", which the steps do not create/);
  expect(results[3]!.stderr).toMatch(/covers 10\.200\.0\.1, an end of the ssh connection/);
  expect(results[4]!.stderr).toMatch(/default, which covers 10\.200\.0\.1,/);
  expect(results[5]!.stderr).toMatch(/device "other9", which the scenario's steps do not/);
  expect(results[6]!.stderr).toMatch(/NIC enp0s8/);
  expect(await hosts.state('node0')).toEqual(before);
});
