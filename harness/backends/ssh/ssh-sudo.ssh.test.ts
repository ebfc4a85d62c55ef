// The ssh backend through a real non-root login: hosts that know the user `vxlab` (account files
// bind-mounted in each host's own mount namespace, testing/sshd-hosts.ts), the real sudo. With
// NOPASSWD sudo and `sudo: true` a scenario gives the netns backend's TAP and every host comes
// back as it was; without sudo rights, or without `sudo: true`, preflight stops the run (exit 3).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { hostSnapshot, runCli } from '../../testing/host.ts';
import { parseTap, pointsByScenario } from '../../testing/tap.ts';
import { LOGIN_USER, SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const sudoMissing = (await sshdMissing()) ?? ((await execa('sudo', ['-V'], { reject: false })).exitCode === 0 ? undefined : 'sudo is not installed (apt-get install sudo)');
const skip = sudoMissing !== undefined;

describe('sudo for the ssh tests', () => {
  it.runIf(process.env.VXLAB_SSH_TESTS === 'required')('is installed (CI requires the ssh tests to run)', async () => {
    expect(sudoMissing).toBeUndefined();
  });
});

const rootBefore = skip ? undefined : await hostSnapshot();
afterAll(async () => {
  // The account files were bind-mounted inside the hosts only: this machine's are untouched.
  if (rootBefore) expect(await hostSnapshot()).toEqual(rootBefore);
});

describe.skipIf(skip)(`a non-root login (${LOGIN_USER}) with passwordless sudo and sudo: true`, () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'), { login: { sudoRights: true } });
  });
  afterAll(() => hosts?.stop());

  it('logs in as that user, not root', async () => {
    const who = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), 'ssh', '-F', join(hosts.dir, 'ssh_config'), '10.200.0.10', 'id -un; sudo -n id -un'], { reject: false });
    expect(who.stdout).toBe(`${LOGIN_USER}\nroot`);
  });

  it('runs a scenario with the same TAP as netns, check for check, and restores every host', async () => {
    const scenarios = ['p2p', 'multicast'];
    const before = await hosts.states();
    const [netns, ssh] = await Promise.all([runCli([...scenarios, '--reporter', 'tap']), hosts.runCli([...scenarios, '--reporter', 'tap'])]);
    expect(ssh.stderr).toBe('');
    expect(await parseTap(ssh.stdout)).toMatchObject({ ok: true, fail: 0, extra: [] });
    expect(pointsByScenario(ssh.stdout)).toEqual(pointsByScenario(netns.stdout));
    expect(Object.keys(pointsByScenario(ssh.stdout))).toEqual(scenarios);
    expect([netns.exitCode, ssh.exitCode]).toEqual([0, 0]);
    expect(await hosts.states()).toEqual(before);
  }, 300_000);

  it('knows the ssh connection\'s ends through sudo (whose env_reset drops $SSH_CONNECTION): a route over the harness\'s address fails preflight', async () => {
    const file = join(hosts.dir, 'strand.yaml');
    await writeFile(file, 'lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n      - ip link add vx9 type bridge\n      - ip route add 10.200.0.0/24 dev vx9\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n');
    const before = await hosts.states();
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    expect(run.stderr).toMatch(/node0: step `ip route add 10\.200\.0\.0\/24 dev vx9` routes \(add\) 10\.200\.0\.0\/24, which covers 10\.200\.0\.1, an end of the ssh connection/);
    expect(await hosts.states()).toEqual(before);
  });
});

describe.skipIf(skip)(`a non-root login (${LOGIN_USER}) without sudo rights`, () => {
  let hosts: SshdHosts;
  let before: Record<string, Record<string, string[]>>;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'), { login: { sudoRights: false } });
    before = await hosts.states();
  });
  afterAll(() => hosts?.stop());

  async function refused(hostsFile: string): Promise<string> {
    const result = await hosts.runCli(['p2p', '--reporter', 'tap', '--backend', 'ssh', '--hosts', hostsFile], { ssh: false });
    expect(result.stdout).toMatch(/^TAP version 14\n1\.\.0 # SKIP the ssh hosts are not ready/);
    expect(result.exitCode).toBe(3);
    expect(await hosts.states()).toEqual(before);
    return result.stderr;
  }

  it('with sudo: true, fails preflight: sudo -n asks for a password; it says to give the user passwordless sudo or log in as root', async () => {
    const stderr = await refused(hosts.hostsFile);
    for (const node of ['node0', 'node1', 'node2']) {
      expect(stderr).toMatch(new RegExp(`${node}: \`sudo -n true\` failed on ${LOGIN_USER}@10\\.200\\.0\\.1\\d \\(sudo: .+\\); give ${LOGIN_USER} passwordless sudo there`));
    }
    expect(stderr).toContain('or log in as root');
  });

  it('without sudo: true, fails preflight: commands would run as that user; it says to set sudo: true or log in as root', async () => {
    const file = join(hosts.dir, 'no-sudo.yaml');
    await hosts.writeHostsFile(file, { sudo: false });
    const stderr = await refused(file);
    expect(stderr).toMatch(/node0: commands on vxlab@10\.200\.0\.10 run as uid 4242, not root, and the steps need root; set `sudo: true` for node0 in the hosts file/);
  });
});
