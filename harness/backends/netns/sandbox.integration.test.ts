// The node sandbox holds by itself: commands sent straight to the executor, past the command
// policy, still cannot read, write or run anything of the host's. Each escape is tried for real.
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedLab } from '../types.ts';
import { unpolicedNode } from '../started-lab.ts';
import { PROJECT_ROOT, loadLab } from '../../scenario/resolve.ts';
import { pollUntil } from '../../util/poll.ts';
import { newRunId } from '../../util/run-id.ts';
import { NetnsBackend } from './backend.ts';

let lab: StartedLab;
const run = (node: string, argv: string[], timeoutMs = 10_000) => unpolicedNode(lab, node).exec(argv, { timeoutMs });

beforeAll(async () => {
  // node0's steps would use guest namespaces (so it holds CAP_SYS_ADMIN); node1's would not.
  const nodeNeeds = new Map([
    ['node0', { guestNamespaces: true, sysctlWrites: true }],
    ['node1', { guestNamespaces: false, sysctlWrites: false }],
  ]);
  lab = await new NetnsBackend().up(await loadLab('three-nodes'), { runId: newRunId(), nodeNeeds });
});
afterAll(() => lab?.down());

describe('a node sandbox', () => {
  it('has no shell and no host program', async () => {
    for (const argv of [['sh', '-c', 'id'], ['/bin/sh', '-c', 'id'], ['cat', '/etc/hostname'], ['bash'], ['nsenter', '-t', '1', '-a'], ['mount']]) {
      const result = await run('node0', argv);
      expect(result.exitCode, argv.join(' ')).toBe(127);
      expect(result.stderr).toMatch(/failed to execute .*: No such file or directory/);
    }
  });

  it('has a /proc of its own: /proc/1 is its holder (out of the node user\'s reach), never the host\'s init', async () => {
    const own = JSON.parse((await run('node0', ['ip', '-j', 'link', 'show'])).stdout) as { ifname: string }[];
    // -netns names a file below /run/netns, which exists once a guest namespace does.
    expect((await run('node0', ['ip', 'netns', 'add', 'probe'])).exitCode).toBe(0);
    const init = await run('node0', ['ip', '-n', '../../proc/1/ns/net', '-j', 'link', 'show']);
    expect(init.exitCode).not.toBe(0);
    expect(init.stderr).toMatch(/Cannot open network namespace "\.\.\/\.\.\/proc\/1\/ns\/net": Permission denied/);
    const self = await run('node0', ['ip', '-n', '../../proc/self/ns/net', '-j', 'link', 'show']);
    expect(self.exitCode).toBe(0);
    const seen = (JSON.parse(self.stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
    expect(seen).toEqual(own.map((l) => l.ifname).sort());
    expect(seen).toContain('enp0s8');
    // None of the host's own interfaces is there.
    const hostLinks = (await readdir('/sys/class/net')).filter((n) => n !== 'lo');
    expect(hostLinks.length).toBeGreaterThan(0);
    for (const name of hostLinks) expect(seen).not.toContain(name);
  });

  it('runs commands as nobody with only the node\'s capabilities', async () => {
    // ip monitor waits and keeps its capabilities (ping would drop its own once its socket is open).
    const monitor = unpolicedNode(lab, 'node1').start(['ip', 'monitor']);
    try {
      const status = await pollUntil(() => statusOf('node1', 'ip'), { what: 'ip monitor in node1', timeoutMs: 5000 });
      expect(status).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
      // CAP_NET_ADMIN (12) and CAP_NET_RAW (13) alone: 0x3000; no SYS_ADMIN in node1.
      expect(status).toMatch(/^CapEff:\s+0000000000003000$/m);
      expect(status).toMatch(/^CapBnd:\s+0000000000003000$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    } finally {
      await monitor.stop();
    }
  });

  it('cannot write a host file: tcpdump -w lands on a read-only tree', async () => {
    const result = await run('node0', ['tcpdump', '-i', 'lo', '-c', '1', '-w', '/etc/vxlab-escape']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/\/etc\/vxlab-escape: (Read-only file system|No such file or directory)/);
    expect(existsSync('/etc/vxlab-escape')).toBe(false);
  });

  it('cannot read a host file: a host path (a BPF object, a capture file) is not there', async () => {
    const hostFile = join(PROJECT_ROOT, 'package.json');
    expect(existsSync(hostFile)).toBe(true);
    // tcpdump -r tells a missing file from one it cannot read as pcap: a file of the node's tree,
    // readable by anyone like package.json is on the host, shows what "there" would look like.
    const inTree = await run('node0', ['tcpdump', '-r', '/usr/sbin/ip']);
    expect(inTree.stderr).toMatch(/bad dump file format|unknown file format/);
    const fromHost = await run('node0', ['tcpdump', '-r', hostFile]);
    expect(fromHost.exitCode).not.toBe(0);
    expect(fromHost.stderr).toContain(`${hostFile}: No such file or directory`);
    // The BPF loaders fail too (they cannot tell a missing object from a bad one in their messages).
    expect((await run('node0', ['ip', 'link', 'set', 'dev', 'lo', 'xdp', 'obj', hostFile])).exitCode).not.toBe(0);
    expect((await run('node0', ['tc', 'filter', 'add', 'dev', 'lo', 'ingress', 'bpf', 'obj', hostFile])).exitCode).not.toBe(0);
  });

  it('cannot set a host sysctl, even by traversal; its own network sysctls are its own', async () => {
    const before = readFileSync('/proc/sys/kernel/hostname', 'utf8');
    for (const key of ['kernel.hostname=vxlab-escape', 'net/ipv4/../../kernel/hostname=vxlab-escape', 'kernel.domainname=vxlab-escape']) {
      const result = await run('node0', ['sysctl', '-w', key]);
      expect(result.exitCode, key).not.toBe(0);
    }
    // /proc/sysrq-trigger is read-only in a node: `h` (print help to the kernel log) would be harmless anyway.
    const sysrq = await run('node0', ['sysctl', '-w', 'net/ipv4/../../../sysrq-trigger=h']);
    expect(sysrq.exitCode).not.toBe(0);
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8')).toBe(before);
    expect(hostname()).toBe(before.trim());
    // Inside, the node's hostname is its own (a UTS namespace of its own).
    expect((await run('node0', ['sysctl', '-n', 'kernel.hostname'])).stdout.trim()).toBe('node0');
    const hostForwarding = readFileSync('/proc/sys/net/ipv4/conf/all/forwarding', 'utf8');
    const flipped = hostForwarding.trim() === '1' ? '0' : '1';
    expect((await run('node0', ['sysctl', '-w', `net.ipv4.conf.all.forwarding=${flipped}`])).exitCode).toBe(0);
    expect((await run('node0', ['sysctl', '-n', 'net.ipv4.conf.all.forwarding'])).stdout.trim()).toBe(flipped);
    expect(readFileSync('/proc/sys/net/ipv4/conf/all/forwarding', 'utf8')).toBe(hostForwarding);
  });

  it('holds CAP_SYS_ADMIN only where the steps use guest namespaces', async () => {
    expect((await run('node0', ['ip', 'netns', 'add', 'vm0'])).exitCode).toBe(0);
    expect((await run('node0', ['ip', 'netns', 'exec', 'vm0', 'ip', 'link', 'set', 'lo', 'up'])).exitCode).toBe(0);
    const denied = await run('node1', ['ip', 'netns', 'add', 'vm0']);
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/Operation not permitted/);
  });

  it('stops at a deadline with every process the command started, a batch child included', async () => {
    const started = performance.now();
    const result = await unpolicedNode(lab, 'node0').exec(['ip', '-batch', '-'], { input: 'netns add vm9\nnetns exec vm9 ip monitor\n', timeoutMs: 1000 });
    expect(result.timedOut).toBe(true);
    expect(performance.now() - started).toBeLessThan(8000);
    // What is left in node0's PID namespace is its holder alone: bubblewrap's init and `cat`.
    const holderPidns = await readlink(`/proc/${nodePid(lab, 'node0')}/ns/pid`);
    const inNode = async () => {
      const comms: string[] = [];
      for (const entry of (await readdir('/proc')).filter((e) => /^\d+$/.test(e))) {
        if ((await readlink(`/proc/${entry}/ns/pid`).catch(() => '')) === holderPidns) comms.push(readFileSync(`/proc/${entry}/comm`, 'utf8').trim());
      }
      return comms.sort();
    };
    // Killed processes leave /proc once the node's init has reaped them: a moment, under load.
    const left = await pollUntil(async () => {
      const comms = await inNode();
      return comms.join() === 'bwrap,holder' ? comms : undefined;
    }, { what: 'the batch and its child to be gone', timeoutMs: 5000 }).catch(() => inNode());
    expect(left).toEqual(['bwrap', 'holder']);
  });
});

/** The commands of what is left in a node's PID namespace, once it is only its holder (or after 5 s). */
async function onlyTheHolderLeft(node: string): Promise<string[]> {
  const holderPidns = await readlink(`/proc/${nodePid(lab, node)}/ns/pid`);
  const inNode = async () => {
    const comms: string[] = [];
    for (const entry of (await readdir('/proc')).filter((e) => /^\d+$/.test(e))) {
      if ((await readlink(`/proc/${entry}/ns/pid`).catch(() => '')) === holderPidns) comms.push(readFileSync(`/proc/${entry}/comm`, 'utf8').trim());
    }
    return comms.sort();
  };
  // Killed processes leave /proc once the node's init has reaped them: a moment, under load.
  return pollUntil(async () => {
    const comms = await inNode();
    return comms.join() === 'bwrap,holder' ? comms : undefined;
  }, { what: 'the batch and its child to be gone', timeoutMs: 5000 }).catch(() => inNode());
}

/** /proc/PID/status of the process named `comm` inside a node's PID namespace. */
async function statusOf(node: string, comm: string): Promise<string | undefined> {
  const pidns = await readlink(`/proc/${nodePid(lab, node)}/ns/pid`);
  for (const entry of (await readdir('/proc')).filter((e) => /^\d+$/.test(e))) {
    if ((await readlink(`/proc/${entry}/ns/pid`).catch(() => '')) !== pidns) continue;
    if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) return readFileSync(`/proc/${entry}/status`, 'utf8');
  }
  return undefined;
}

/** The host PID of a node's sandbox, from the shell hint that names it. */
function nodePid(started: StartedLab, node: string): number {
  const hint = started.accessHints().find((h) => h.startsWith(`${node}:`))!;
  return Number(/-t (\d+)/.exec(hint)![1]);
}

describe('the command policy in front of every executor', () => {
  it('refuses what the loader would, before anything runs: exit 126 with the reason', async () => {
    const node0 = lab.node('node0');
    const batchFile = await node0.exec(['ip', '-ba', '/etc/passwd']);
    expect(batchFile.exitCode).toBe(126);
    expect(batchFile.stderr).toMatch(/^vxlab refused to run `ip -ba \/etc\/passwd` on node0: `-ba` /);
    expect(batchFile.stdout).toBe('');
    // A batch's input is read line by line, as ip reads it.
    const badLine = await node0.exec(['ip', '-batch', '-'], { input: 'link show\nvrf exec default sh -c id\n' });
    expect(badLine.exitCode).toBe(126);
    expect(badLine.stderr).toContain('batch line 2');
    expect(() => node0.start(['tcpdump', '-i', 'lo', '-w', '/etc/vxlab-escape'])).toThrow(/vxlab refused to run/);
    // What the checks build themselves passes.
    expect((await node0.exec(['ip', '-j', '-d', 'link', 'show'])).exitCode).toBe(0);
  });
});

describe('programs asked for in one turn, started from one bash (launch.ts)', () => {
  it('keep their own output, input, exit code, node and capabilities, and the sandbox', async () => {
    const asked = [
      run('node0', ['ip', '-batch', '-'], 10_000),
      unpolicedNode(lab, 'node1').exec(['ip', '-batch', '-'], { input: 'link add grp1 type bridge\nlink show grp1\n', timeoutMs: 10_000 }),
      run('node1', ['ip', 'netns', 'add', 'vm7']),
      run('node0', ['sh', '-c', 'id']),
      run('node2', ['ip', '-j', 'link', 'show', 'enp0s8']),
      ...Array.from({ length: 60 }, (_, i) => run(`node${i % 3}`, ['ip', 'link', 'show', 'nothing' + String(i)])),
    ];
    const [empty, batch, denied, shell, link, ...missing] = await Promise.all(asked);
    expect(batch, JSON.stringify(batch)).toMatchObject({ exitCode: 0 });
    expect(empty).toMatchObject({ exitCode: 0, stdout: '', timedOut: false });
    expect(batch!.exitCode).toBe(0);
    expect(batch!.stdout).toMatch(/^\d+: grp1: /);
    expect(denied!.exitCode).not.toBe(0);
    expect(denied!.stderr).toMatch(/Operation not permitted/);
    expect(shell!.exitCode).toBe(127);
    expect(shell!.stderr).toMatch(/failed to execute .*: No such file or directory/);
    expect((JSON.parse(link!.stdout) as { ifname: string }[])[0]!.ifname).toBe('enp0s8');
    missing.forEach((r, i) => {
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain(`"nothing${i}"`);
    });
    // node1's dummy is node1's alone.
    expect((await run('node0', ['ip', 'link', 'show', 'grp1'])).exitCode).not.toBe(0);
  });

  it('stop at their own deadline, with their group, while the others end in time', async () => {
    const started = performance.now();
    const [slow, fast] = await Promise.all([
      unpolicedNode(lab, 'node0').exec(['ip', '-batch', '-'], { input: 'netns add vm8\nnetns exec vm8 ip monitor\n', timeoutMs: 1000 }),
      run('node0', ['ip', 'link', 'show', 'enp0s8']),
    ]);
    expect(fast!.exitCode).toBe(0);
    expect(fast!.durationMs).toBeLessThan(slow!.durationMs);
    expect(slow!.timedOut).toBe(true);
    expect(performance.now() - started).toBeLessThan(8000);
    expect(await onlyTheHolderLeft('node0')).toEqual(['bwrap', 'holder']);
  });

  it('still pass the policy one by one', async () => {
    const [refused, allowed] = await Promise.all([lab.node('node0').exec(['ip', '-ba', '/etc/passwd']), lab.node('node0').exec(['ip', 'link', 'show', 'lo'])]);
    expect(refused!.exitCode).toBe(126);
    expect(allowed!.exitCode).toBe(0);
  });
});
