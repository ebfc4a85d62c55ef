// The Vagrantfile, checked by Vagrant itself (no VM boots: `validate --ignore-provider` and
// Vagrant's own reading of the config), and held against labs/three-nodes.yaml so the VMs and the
// lab cannot drift. Without vagrant these tests are skipped, visibly; with
// VXLAB_VAGRANT_TESTS=required (.ci/run) a missing vagrant fails.
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, loadLab } from './scenario/resolve.ts';

const vagrant = await execa('vagrant', ['--version'], { reject: false }).catch(() => undefined);
const missing = vagrant?.exitCode === 0 ? undefined : 'vagrant is not installed (apt-get install -y vagrant)';

describe('vagrant for these tests', () => {
  it.runIf(process.env.VXLAB_VAGRANT_TESTS === 'required')('is installed (CI requires the Vagrant tests to run)', () => {
    expect(missing).toBeUndefined();
  });
});

interface Machine {
  name: string;
  hostname: string;
  box: string;
  networks: { type: string; ip: string | null; netmask: string | null; mac: string | null }[];
  provisioners: { name: string; type: string; inline: string }[];
}

describe.skipIf(missing !== undefined)(`the Vagrantfile${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'vxlab-vagrant-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  /** Vagrant with nothing reaching the network or the user's ~/.vagrant.d, and no .vagrant/ in the project. */
  const run = (file: string, args: string[], cwd: string) =>
    execa(file, args, {
      cwd,
      reject: false,
      env: { VAGRANT_HOME: join(home, 'home'), VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_DOTFILE_PATH: join(home, 'dot') },
    });

  const machinesOf = async (dir: string): Promise<Machine[]> => {
    const result = await run('ruby', [join(PROJECT_ROOT, 'harness', 'testing', 'vagrant-config.rb'), dir], dir);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    return JSON.parse(result.stdout) as Machine[];
  };

  /** A copy of the Vagrantfile and the lab file it reads, to break one of them. */
  const copy = async (name: string): Promise<string> => {
    const dir = join(home, name);
    await mkdir(join(dir, 'labs'), { recursive: true });
    await copyFile(join(PROJECT_ROOT, 'Vagrantfile'), join(dir, 'Vagrantfile'));
    await copyFile(join(PROJECT_ROOT, 'labs', 'three-nodes.yaml'), join(dir, 'labs', 'three-nodes.yaml'));
    return dir;
  };

  it('passes `vagrant validate --ignore-provider`', async () => {
    const result = await run('vagrant', ['validate', '--ignore-provider'], PROJECT_ROOT);
    expect(result.stdout).toContain('Vagrantfile validated successfully.');
    expect(result.exitCode).toBe(0);
  });

  it('and validate fails on a bad config key, so it is a real check', async () => {
    const dir = await copy('bad-key');
    const text = await readFile(join(dir, 'Vagrantfile'), 'utf8');
    await writeFile(join(dir, 'Vagrantfile'), text.replace("config.vm.box = 'debian/trixie64'", "config.vm.box = 'debian/trixie64'\n  config.vm.no_such_setting = 1"));
    const result = await run('vagrant', ['validate', '--ignore-provider'], dir);
    expect(result.stdout + result.stderr).toContain('no_such_setting');
    expect(result.exitCode).not.toBe(0);
  });

  it('defines the lab three-nodes: node names, hostnames, addresses and the NIC the provisioner names', async () => {
    const lab = await loadLab('three-nodes');
    const machines = await machinesOf(PROJECT_ROOT);
    expect(machines.map((m) => m.name)).toEqual(lab.nodes.map((n) => n.name));
    for (const [i, node] of lab.nodes.entries()) {
      const machine = machines[i]!;
      expect(machine.hostname).toBe(node.name);
      const mask = ((0xffffffff << (32 - node.nic.prefixLength)) >>> 0).toString(16).padStart(8, '0');
      const netmask = mask.match(/../g)!.map((h) => parseInt(h, 16)).join('.');
      const privateNets = machine.networks.filter((n) => n.type === 'private_network');
      expect(privateNets).toEqual([{ type: 'private_network', ip: node.nic.address, netmask, mac: expect.stringMatching(/^[0-9a-f]{12}$/) }]);
      const script = machine.provisioners.find((p) => p.name === 'underlay')!.inline;
      expect(script).toContain(`Name=${node.nic.name}\n`);
      expect(script).toContain(`ip addr replace ${node.nic.address}/${node.nic.prefixLength} dev ${node.nic.name}\n`);
      const mac = privateNets[0]!.mac!.match(/../g)!.join(':');
      expect(script).toContain(`MACAddress=${mac}\n`);
      for (const pkg of ['iproute2', 'tcpdump', 'iputils-ping', 'bubblewrap', 'nodejs']) expect(script).toMatch(new RegExp(`apt-get install .* ${pkg}( |$)`, 'm'));
    }
    expect(new Set(machines.map((m) => m.networks.find((n) => n.type === 'private_network')!.mac)).size).toBe(machines.length);
  });

  it("provisions with shell scripts bash can parse", async () => {
    for (const machine of await machinesOf(PROJECT_ROOT)) {
      for (const p of machine.provisioners) {
        const result = await execa('bash', ['-n'], { input: p.inline, reject: false });
        expect({ machine: machine.name, stderr: result.stderr, exitCode: result.exitCode }).toEqual({ machine: machine.name, stderr: '', exitCode: 0 });
      }
    }
  });

  it('follows the lab file when it changes, so the two cannot drift', async () => {
    const dir = await copy('drift');
    const labFile = join(dir, 'labs', 'three-nodes.yaml');
    const text = await readFile(labFile, 'utf8');
    await writeFile(labFile, text.replace('192.168.8.101/24', '192.168.8.111/24').replace(/enp0s8/g, 'ens7'));
    const node1 = (await machinesOf(dir)).find((m) => m.name === 'node1')!;
    expect(node1.networks.find((n) => n.type === 'private_network')?.ip).toBe('192.168.8.111');
    expect(node1.provisioners[0]!.inline).toContain('ip addr replace 192.168.8.111/24 dev ens7\n');
  });
});
