// `--hosts vagrant:DIR` end to end: the real `vagrant ssh-config` (Vagrant 2.3.4 from Debian) on the
// project's Vagrantfile, and the real sshd hosts of the other ssh tests behind it. No VM boots on
// this machine, so the VirtualBox provider is stood in (harness/testing/vagrant-standin-provider.rb):
// it says each machine runs, at one of the sshd hosts. Everything else is Vagrant's: the login
// (`vagrant`, through sudo as on a box), the key from the machine's data directory, host-key
// checking off as Vagrant says, and the ssh_config text vxlab reads through its allowlist.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const vagrant = await execa('vagrant', ['--version'], { reject: false }).catch(() => undefined);
const missing = (await sshdMissing()) ?? (vagrant?.exitCode === 0 ? undefined : 'vagrant is not installed');
const STANDIN = join(PROJECT_ROOT, 'harness', 'testing', 'vagrant-standin-provider.rb');

describe.skipIf(missing !== undefined)('--hosts vagrant:DIR on the Vagrantfile, through vagrant ssh-config', () => {
  let hosts: SshdHosts;
  let home: string;
  let env: Record<string, string>;
  let before: Record<string, Record<string, string[]>>;
  beforeAll(async () => {
    const lab = await loadLab('three-nodes');
    hosts = await SshdHosts.build(lab, { login: { sudoRights: true, user: 'vagrant' } });
    before = await hosts.states();
    home = await mkdtemp(join(tmpdir(), 'vxlab-vagrant-ssh-'));
    // The project's Vagrantfile as it is, behind the stand-in provider.
    await mkdir(join(home, 'project'));
    await writeFile(join(home, 'project', 'Vagrantfile'), `require ENV.fetch('VXLAB_TEST_VAGRANT_STANDIN')\nload ${JSON.stringify(join(PROJECT_ROOT, 'Vagrantfile'))}\n`);
    // Where `vagrant up` leaves each machine's own key, which vagrant ssh-config then names.
    for (const node of lab.nodes) {
      const data = join(home, 'dot', 'machines', node.name, 'virtualbox');
      await mkdir(data, { recursive: true });
      await copyFile(join(hosts.dir, 'client_key'), join(data, 'private_key'));
    }
    env = {
      VXLAB_TEST_VAGRANT_STANDIN: STANDIN,
      VXLAB_TEST_VAGRANT_HOSTS: JSON.stringify(Object.fromEntries(lab.nodes.map((n, i) => [n.name, { host: `10.200.0.${10 + i}`, port: 22 }]))),
      VAGRANT_HOME: join(home, 'home'),
      VAGRANT_DOTFILE_PATH: join(home, 'dot'),
      VAGRANT_CHECKPOINT_DISABLE: '1',
    };
  }, 120_000);
  afterAll(async () => {
    await hosts?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('vagrant itself prints the machines as the sshd hosts, as the login vagrant, with the machines\' keys', async () => {
    const r = await execa('vagrant', ['ssh-config'], { cwd: join(home, 'project'), env, reject: false });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Host node0\n {2}HostName 10\.200\.0\.10\n {2}User vagrant\n {2}Port 22\n {2}UserKnownHostsFile \/dev\/null\n {2}StrictHostKeyChecking no\n/);
    expect(r.stdout).toContain(`IdentityFile ${join(home, 'dot', 'machines', 'node2', 'virtualbox', 'private_key')}`);
  });

  it('runs multicast on the machines through sudo, every check passing, and restores every host', async () => {
    const run = await hosts.runCli(['multicast', '--reporter', 'tap', '--backend', 'ssh', '--hosts', `vagrant:${join(home, 'project')}`], { ssh: false, env });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^1\.\.1$/m);
    expect(run.stdout).not.toMatch(/not ok/);
    expect(run.stdout.match(/^ {4}ok \d+ /gm)?.length).toBe(8);
    expect(run.exitCode).toBe(0);
    expect(await hosts.states()).toEqual(before);
  });
});
