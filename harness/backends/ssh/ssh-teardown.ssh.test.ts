// Interrupted and killed runs on real sshd hosts: SIGINT and SIGTERM restore every host at
// once, SIGKILL leaves the markers and the lab's devices, which `clean` then undoes; and a host
// that is not ready stops the run before anything is built (exit 3), saying what to do.
import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { pollUntil } from '../../util/poll.ts';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { outputUntil, stderrUntil } from '../../testing/host.ts';
import { HELD_AFTER_FIRST_CHECK, PAUSED } from '../../testing/moments.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();

/** The hosts' states once they equal `expected`, or as they are after 10 s. */
async function settled(hosts: SshdHosts, expected: unknown): Promise<Record<string, Record<string, string[]>>> {
  let last = await hosts.states();
  await pollUntil(async () => (isDeepStrictEqual((last = await hosts.states()), expected) ? true : undefined), { what: 'the hosts to settle', timeoutMs: 10_000 }).catch(() => undefined);
  return last;
}


/** What the run printed up to its first check, or an error with all it said if it ended before. */
async function untilFirstCheck(child: ReturnType<SshdHosts['startCli']>): Promise<string> {
  const ended = child.then((r) => {
    throw new Error(`the run ended before its first check (exit ${r.exitCode}): ${String(r.stdout)}${String(r.stderr)}`);
  });
  return Promise.race([outputUntil(child, 'ok 1 - '), ended]);
}

describe.skipIf(missing !== undefined)('ssh hosts after an interrupted run', () => {
  let hosts: SshdHosts;
  let before: Record<string, Record<string, string[]>>;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
    before = await hosts.states();
  });
  afterAll(() => hosts?.stop());

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s mid-run: the run bails out and every host is as it was, field by field', async (signal, code) => {
    const child = hosts.startCli(['p2p', '--reporter', 'tap'], HELD_AFTER_FIRST_CHECK);
    const seen = await untilFirstCheck(child);
    expect(seen).toContain('ok 1 - vxlan0 on node0');
    child.kill(signal);
    const result = await child;
    expect(String(result.stdout)).toMatch(/Bail out! interrupted by/);
    expect(result.exitCode).toBe(code);
    expect(await hosts.states()).toEqual(before);
    // The run's private directory (its masters' sockets, preflight's handed to the lab) is gone too.
    expect((await readdir(tmpdir())).filter((e) => e.startsWith(`vxlab-ssh-${child.pid}-`))).toEqual([]);
  });

  it('SIGKILL leaves the lab on the hosts with its markers; clean restores every host, field by field', async () => {
    const child = hosts.startCli(['p2p', '--reporter', 'tap'], HELD_AFTER_FIRST_CHECK);
    await untilFirstCheck(child);
    child.kill('SIGKILL');
    await child;
    // nsenter execs the harness: the child's PID is the harness's, which names its private directory.
    const privateDirs = async () => (await readdir(tmpdir())).filter((e) => e.startsWith(`vxlab-ssh-${child.pid}-`));
    expect(await privateDirs()).toHaveLength(1);
    const left = await hosts.state('node0');
    expect(JSON.stringify(left.links)).toContain('vxlan0');
    expect(left.run).toContain('vxlab');
    const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
    expect(clean.stderr).toBe('');
    expect(clean.stdout).toMatch(/^removed run vx[0-9a-f]+: 3 hosts restored$/m);
    expect(clean.exitCode).toBe(0);
    expect(await hosts.states()).toEqual(before);
    expect(await privateDirs()).toEqual([]);
    const again = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
    expect(again.stdout).toBe('nothing to clean\n');
  });
});

describe.skipIf(missing !== undefined)('a step that writes nothing, when its harness is SIGKILLed', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
  });
  afterAll(() => hosts?.stop());

  // From the third attack: the command wrapper did not watch its channel, so a quiet step (one echo
  // request every 977 s) lived on after its harness and `clean`, until its next write failed.
  it('ends with its channel, before clean runs', async () => {
    const file = join(hosts.dir, 'quiet.yaml');
    await writeFile(file, 'lab: three-nodes\ntitle: quiet\ntutorial: none\nexplain: none\nsteps:\n  - node: node0\n    run:\n      - ping -q -n -c 2 -i 977 192.168.8.101\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n');
    const pings = async () => (await hosts.processesOn('node0', 'ping'));
    const child = hosts.startCli([file, '--reporter', 'tap']);
    try {
      // The moment this test is about: the step's ping runs on the host.
      expect(await pollUntil(async () => ((await pings()).length === 1 ? true : undefined), { what: 'the step\'s ping to start', timeoutMs: 30_000 }).catch(() => false)).toBe(true);
      child.kill('SIGKILL');
      await child;
      const left = await pollUntil(async () => ((await pings()).length === 0 ? [] : undefined), { what: 'the step\'s ping to end', timeoutMs: 10_000 }).catch(() => pings());
      expect(left).toEqual([]);
    } finally {
      for (const pid of await pings()) process.kill(pid, 'SIGKILL');
    }
    const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
  });
});

describe.skipIf(missing !== undefined)('ssh preflight', () => {
  let hosts: SshdHosts;
  let before: Record<string, Record<string, string[]>>;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
    before = await hosts.states();
  });
  afterAll(() => hosts?.stop());

  async function refused(args: string[], setup: () => Promise<unknown>, undo: () => Promise<unknown>): Promise<string> {
    await setup();
    try {
      const result = await hosts.runCli(['p2p', '--reporter', 'tap', ...args]);
      expect(result.stdout).toMatch(/^TAP version 14\n1\.\.0 # SKIP the ssh hosts are not ready/);
      expect(result.exitCode).toBe(3);
      return result.stderr;
    } finally {
      await undo();
      // Renaming the NIC back takes it down and up: its link-local address needs DAD again.
      expect(await settled(hosts, before)).toEqual(before);
    }
  }

  it('names a missing NIC and the lab\'s', async () => {
    const stderr = await refused(
      [],
      () => hosts.onHost('node1', ['ip', '-batch', '-'], 'link set dev enp0s8 down\nlink set dev enp0s8 name eth1\nlink set dev eth1 up\n'),
      () => hosts.onHost('node1', ['ip', '-batch', '-'], 'link set dev eth1 down\nlink set dev eth1 name enp0s8\nlink set dev enp0s8 up\n'),
    );
    expect(stderr).toContain('node1 has no NIC enp0s8 (it has eth1, mgmt); lab three-nodes needs enp0s8 with 192.168.8.101/24, MTU 1500');
  });

  it('names a missing program and its package', async () => {
    const tcpdump = (await hosts.onHost('node2', ['sh', '-c', 'command -v tcpdump'])).trim();
    const stderr = await refused(
      [],
      // -n: no /run/mount/utab entry, which would change the host's /run.
      () => hosts.onHost('node2', ['mount', '-n', '--bind', '/dev/null', tcpdump]),
      () => hosts.onHost('node2', ['umount', '-n', tcpdump]),
    );
    expect(stderr).toContain('node2 lacks tcpdump; install tcpdump there');
  });

  it('names an unreachable host and what to check', async () => {
    const file = join(hosts.dir, 'unreachable.yaml');
    await writeFile(file, 'ssh_config: ./ssh_config\nnodes:\n  node0: 10.200.0.10\n  node1: 10.200.0.11\n  node2: 10.200.0.99\n');
    const result = await hosts.runCli(['p2p', '--reporter', 'tap', '--backend', 'ssh', '--hosts', file], { ssh: false });
    expect(result.stderr).toMatch(/node2: cannot reach 10\.200\.0\.99 over SSH \(.+\); check the hosts file/);
    expect(result.exitCode).toBe(3);
    expect(await hosts.states()).toEqual(before);
  });

  it('names a leftover vxlan0 and how to remove it', async () => {
    const stderr = await refused(
      [],
      () => hosts.onHost('node0', ['ip', 'link', 'add', 'vxlan0', 'type', 'vxlan', 'id', '7', 'dstport', '4789', 'dev', 'enp0s8']),
      () => hosts.onHost('node0', ['ip', 'link', 'del', 'vxlan0']),
    );
    expect(stderr).toContain('node0 already has a device vxlan0, which the steps create; remove it (sudo ip link del vxlan0)');
  });
});

describe.skipIf(missing !== undefined)('ssh hosts after a lost connection', () => {
  let hosts: SshdHosts;
  let before: Record<string, Record<string, string[]>>;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
    before = await hosts.states();
  });
  afterAll(() => hosts?.stop());

  it('a host whose SSH sessions are cut mid-run is still restored at teardown', async () => {
    const child = hosts.startCli(['p2p', '--reporter', 'tap'], HELD_AFTER_FIRST_CHECK);
    const paused = stderrUntil(child, PAUSED);
    await untilFirstCheck(child);
    // Every session of node0's sshd (the test's own processes: children of the listener it started).
    const listener = hosts.hosts.find((h) => h.node === 'node0')!.holder.pid;
    const sessions = (await hosts.onHost('node0', ['sh', '-c', `grep -l '^PPid:[[:space:]]*${listener}$' /proc/[0-9]*/status | cut -d/ -f3`])).split('\n').filter(Boolean);
    expect(sessions.length).toBeGreaterThan(0);
    for (const pid of sessions) process.kill(Number(pid), 'SIGKILL');
    // Resumed only once it listens for SIGUSR2 (its default would end the run).
    await paused;
    child.kill('SIGUSR2');
    const result = await child;
    expect(String(result.stdout)).toMatch(/^# vxlab run vx[0-9a-f]+ on the ssh backend$/m);
    expect(String(result.stderr)).not.toMatch(/could not be restored/);
    expect(await settled(hosts, before)).toEqual(before);
  });
});

describe.skipIf(missing !== undefined)('ssh preflight on FDB entries', () => {
  let hosts: SshdHosts;
  let before: Record<string, Record<string, string[]>>;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('two-vms'));
    before = await hosts.states();
  });
  afterAll(() => hosts?.stop());

  it('names an FDB entry the steps append that a device on the host already holds, and how to remove it', async () => {
    // A vxlan1 left with manual-fdb's default entry on test-1, as a run that died might leave it.
    await hosts.onHost('test-1', ['ip', '-batch', '-'], 'link add vxlan1 type vxlan id 2 dstport 4789 dev eth0 nolearning\n');
    await hosts.onHost('test-1', ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan1', 'dst', '10.10.10.9']);
    try {
      const result = await hosts.runCli(['manual-fdb', '--reporter', 'tap']);
      expect(result.stdout).toMatch(/^TAP version 14\n1\.\.0 # SKIP the ssh hosts are not ready/);
      expect(result.stderr).toContain('test-1 already has the FDB entry 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9, which the steps add; remove it (sudo bridge fdb del 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9), or run `npm run lab -- clean --backend ssh');
      // The other entry manual-fdb appends there is not on the host: not named.
      expect(result.stderr).not.toContain('4e:e9:90:34:2e:b5');
      expect(result.exitCode).toBe(3);
      expect(JSON.stringify((await hosts.state('test-1')).fdb)).toContain('10.10.10.9');
    } finally {
      await hosts.onHost('test-1', ['ip', 'link', 'del', 'vxlan1']);
    }
    expect(await settled(hosts, before)).toEqual(before);
  });
});
