import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../util/errors.ts';
import { readHostsFile } from './hosts.ts';
import { parseSshConfig, vagrantHosts } from './vagrant.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vxlab-hosts-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function hostsFrom(text: string) {
  const file = join(dir, 'hosts.yaml');
  await writeFile(file, text);
  return readHostsFile(file);
}

describe('the hosts file', () => {
  it('reads short and long forms, paths relative to the file', async () => {
    const config = await hostsFrom(
      'ssh_config: ./cfg\nnodes:\n  node0: vagrant@192.168.121.10\n  node1: "[fe80::1%eth0]:2222"\n  node2: { host: lab2, user: me, port: 2200, identity: keys/id, sudo: true }\n',
    );
    expect(config.sshConfig).toBe(join(dir, 'cfg'));
    expect(config.hosts).toEqual([
      { node: 'node0', host: '192.168.121.10', user: 'vagrant', sudo: false },
      { node: 'node1', host: 'fe80::1%eth0', port: 2222, sudo: false },
      { node: 'node2', host: 'lab2', user: 'me', port: 2200, identity: join(dir, 'keys/id'), sudo: true },
    ]);
  });

  it.each([
    ['nodes:\n  node0: { host: -oProxyCommand=evil }\n', /nodes\.node0\.host/],
    ['nodes:\n  node0: "-oProxyCommand=x"\n', /node0/],
    ['nodes:\n  node0: { host: a, sudo: yes please }\n', /sudo/],
    ['nodes:\n  node0: { host: a, colour: red }\n', /colour|Unrecognized/],
    ['nodes:\n  node0: a:99999\n', /port/],
    ['nodes: {}\n', /at least one node/],
  ])('refuses %j with file:line:col', async (text, message) => {
    const error = await hostsFrom(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/hosts\.yaml:\d+:\d+/);
    expect((error as Error).message).toMatch(message);
  });
});

describe('vagrant ssh-config', () => {
  it('maps each VM of a recorded sample to its lab node, through sudo, keeping vagrant\'s own options', async () => {
    const text = await readFile(new URL('./fixtures/vagrant-ssh-config.txt', import.meta.url), 'utf8');
    const config = vagrantHosts(text, 'vagrant ssh-config in /p');
    expect(config.hosts).toEqual(['node0', 'node1', 'node2'].map((node) => ({ node, host: node, sudo: true })));
    expect(config.sshConfigText).toBe(text);
    const blocks = parseSshConfig(text);
    expect(blocks.map((b) => [b.host, b.options.get('port'), b.options.get('stricthostkeychecking')])).toEqual([
      ['node0', '2222', 'no'], ['node1', '2200', 'no'], ['node2', '2201', 'no'],
    ]);
  });

  it('says to run vagrant up when no VM is there', () => {
    expect(() => vagrantHosts('', 'vagrant ssh-config in /p')).toThrow(/vagrant up/);
  });
});
