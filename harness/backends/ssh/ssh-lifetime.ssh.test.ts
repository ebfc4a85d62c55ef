// How long what a run starts on an ssh host lives, and who may end it (from the fourth stranger's
// attack): a program a step starts through `ip netns exec` ends with its run, SIGINT or SIGKILL
// then clean; and a `clean` that cannot see a live run's harness (another PID namespace of the
// same machine) leaves that run alone.
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { PROJECT_ROOT, loadLab } from '../../scenario/resolve.ts';
import { pollUntil } from '../../util/poll.ts';
import { CLI, stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();

/** PIDs of processes whose argv (NUL-joined) starts with `needle`, wherever they run (a guest namespace too): the program, not the wrapper that names it. */
async function processesWith(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith(needle)) pids.push(Number(entry));
  }
  return pids;
}

describe.skipIf(missing !== undefined)('a program a step starts through `ip netns exec`', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
  });
  afterAll(() => hosts?.stop());

  // Consecutive ip commands of a step become one `ip -batch -`; in batch mode `ip netns exec`
  // forks (cmd_exec's do_fork) and the wrapper signals only ip's own PID.
  const needle = ['ping', '-q', '-n', '-c', '2', '-i', '977', '-s', '41', '127.0.0.1'].join('\0');
  const scenario = [
    'lab: three-nodes', 'title: forked', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
    '      - ip netns add a4g', '      - ip netns exec a4g ip link set lo up', '      - ip netns exec a4g ping -q -n -c 2 -i 977 -s 41 127.0.0.1',
    'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
  ].join('\n');

  it.each(['SIGINT', 'SIGKILL'] as const)('ends with the run (%s, then clean), and so does its guest namespace', async (signal) => {
    const file = join(hosts.dir, `forked-${signal}.yaml`);
    await writeFile(file, scenario);
    const hostNs = await readlink(`/proc/${hosts.hosts[0]!.holder.pid}/ns/net`);
    const child = hosts.startCli([file, '--reporter', 'tap']);
    let left: number[];
    let leftNs: string[];
    try {
      const started = await pollUntil(async () => ((await processesWith(needle)).length === 1 ? true : undefined), { what: 'the step\'s ping to start', timeoutMs: 30_000 }).catch(() => false);
      if (!started) {
        child.kill('SIGINT');
        const r = await child;
        expect.fail(`the step's ping never ran: exit ${r.exitCode}\n${String(r.stdout)}${String(r.stderr)}`);
      }
      child.kill(signal);
      await child;
      if (signal === 'SIGKILL') {
        const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
        expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
      }
      left = await pollUntil(async () => ((await processesWith(needle)).length === 0 ? [] : undefined), { what: 'the step\'s ping to end', timeoutMs: 10_000 }).catch(() => processesWith(needle));
      leftNs = await Promise.all(left.map((pid) => readlink(`/proc/${pid}/ns/net`).catch(() => '')));
    } finally {
      for (const pid of await processesWith(needle)) process.kill(pid, 'SIGKILL');
    }
    // What stayed: a ping on node0 that outlived its run, in a guest namespace no `ip netns` lists any more.
    expect({ left, inGuestNamespace: leftNs.some((ns) => ns !== '' && ns !== hostNs) }).toEqual({ left: [], inGuestNamespace: false });
  });
});

describe.skipIf(missing !== undefined)('clean from another PID namespace of the same machine', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
  });
  afterAll(() => hosts?.stop());

  // A live run's marker names this machine (hostname, boot_id) and a PID; a `clean` that cannot
  // see that PID (another container on the host network, which shares the hostname and boot_id;
  // here: unshare --pid) takes the run for dead and restores its hosts under it.
  it('leaves a live run\'s devices alone', async () => {
    const child = hosts.startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
    let during: string;
    let sessions: string[];
    let clean: { exitCode?: number; stdout: unknown; stderr: unknown };
    try {
      await stderrUntil(child, PAUSED);
      expect(await hosts.onHost('node0', ['ip', '-br', 'link', 'show', 'vxlan0'])).toMatch(/^vxlan0 /);
      clean = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), 'unshare', '--pid', '--fork', '--mount-proc', process.execPath, CLI, 'clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { cwd: PROJECT_ROOT, reject: false, env: { NO_COLOR: '1' } });
      during = await hosts.onHost('node0', ['ip', '-br', 'link', 'show']);
      // Nor does it take the live run's private directory (its masters' sockets) for a dead one's.
      sessions = (await readdir(tmpdir())).filter((e) => e.startsWith(`vxlab-ssh-${child.pid}-`));
    } finally {
      child.kill('SIGINT');
      await child;
    }
    expect({ vxlan0: /^vxlan0 /m.test(during), cleanExit: clean.exitCode, clean: `${String(clean.stdout)}${String(clean.stderr)}`, sessions: sessions.length }).toMatchObject({ vxlan0: true, cleanExit: 0, sessions: 1 });
  });
});
