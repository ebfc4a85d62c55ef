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
    await writeFile(join(dir, 'cfg'), 'Host *\n  User root\n  StrictHostKeyChecking yes\n');
    const config = await hostsFrom(
      'ssh_config: ./cfg\nnodes:\n  node0: vagrant@192.168.121.10\n  node1: "[fe80::1%eth0]:2222"\n  node2: { host: lab2, user: me, port: 2200, identity: keys/id, sudo: true }\n',
    );
    expect(config.sshConfigText).toBe('Host *\n  User root\n  StrictHostKeyChecking yes\n');
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

describe('the ssh_config a hosts file names', () => {
  it.each([
    ['Match exec "touch /tmp/x"', 1, 1, /Match.*runs a command/],
    ['Host *\n  ProxyCommand nc %h %p', 2, 3, /ProxyCommand.*runs a command/],
    ['Host *\n  KnownHostsCommand /bin/true', 2, 3, /runs a command/],
    ['Host *\n  LocalCommand id\n', 2, 3, /runs a command/],
    ['Include ~/.ssh/other', 1, 1, /Include.*another file/],
    ['Host *\n  PKCS11Provider /tmp/evil.so', 2, 3, /loads a library/],
    ['Host *\n  SecurityKeyProvider=/tmp/evil.so', 2, 3, /loads a library/],
    ['Host *\n  LocalForward 8080 localhost:80', 2, 3, /forwards/],
    ['Host *\n  ForwardAgent yes', 2, 3, /forwards/],
    ['Host *\n  ProxyJump other', 2, 3, /another host/],
    ['Host *\n  Tunnel yes', 2, 3, /forwards/],
    ['Host *\n  StrictHostKeyChecking no', 2, 25, /may only be yes/],
    // accept-new would have ssh (root) write new keys to whatever file UserKnownHostsFile names.
    ['Host *\n  UserKnownHostsFile /etc/ld.so.preload\n  StrictHostKeyChecking accept-new', 3, 25, /may only be yes/],
    ['Host *\n  UserKnownHostsFile /dev/null', 2, 22, /dev\/null/],
    ['Host *\n  UserKnownHostsFile /dev//null', 2, 22, /dev\/null/],
    ['Host *\n  IdentityFile ${HOME}/$(id)', 2, 16, /\$/],
    ['ssh_config: ./hosts.yaml', 1, 1, /not a `Keyword value` line/],
  ])('refuses %j at its line and column', async (config, line, col, message) => {
    await writeFile(join(dir, 'bad_config'), config);
    const error = await hostsFrom('ssh_config: ./bad_config\nnodes:\n  node0: a\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(`${join(dir, 'bad_config')}:${line}:${col}:`);
    expect((error as Error).message).toMatch(message);
  });

  it('never repeats a value or an unknown word of the file (it may be any file root can read, a secret)', async () => {
    await writeFile(join(dir, 'secret'), 's3cretword = 1\nPort 5432 # password hunter2\n');
    const error = await hostsFrom('ssh_config: ./secret\nnodes:\n  node0: a\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const message = (error as Error).message;
    expect(message).toContain(`${join(dir, 'secret')}:1:1: this line's first word is not a keyword vxlab accepts`);
    expect(message).toContain(`${join(dir, 'secret')}:2:`);
    expect(message).not.toMatch(/s3cretword|hunter2|5432/);
  });

  it('accepts the keywords that say where and how to log in', async () => {
    const text = 'Host *\n  User root\n  Port=2222\n  IdentityFile /k\n  IdentitiesOnly yes\n  UserKnownHostsFile /kh\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n# a comment\n\nHost lab2\n  HostName 10.0.0.2\n';
    await writeFile(join(dir, 'good_config'), text);
    expect((await hostsFrom('ssh_config: ./good_config\nnodes:\n  node0: a\n')).sshConfigText).toBe(text);
  });

  it('names the field when the file cannot be read', async () => {
    await expect(hostsFrom('ssh_config: ./missing\nnodes:\n  node0: a\n')).rejects.toThrow(/hosts\.yaml:1:\d+: ssh_config names .*missing, which cannot be read/);
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

  it('refuses a vagrant ssh-config that runs a command, keeping its own StrictHostKeyChecking no', () => {
    expect(() => vagrantHosts('Host node0\n  HostName 1.2.3.4\n  StrictHostKeyChecking no\n  ProxyCommand nc %h %p\n', 'vagrant ssh-config in /p')).toThrow(/vagrant ssh-config in \/p:4:3: .*ProxyCommand/);
  });

  it('says to run vagrant up when no VM is there', () => {
    expect(() => vagrantHosts('', 'vagrant ssh-config in /p')).toThrow(/vagrant up/);
  });
});
