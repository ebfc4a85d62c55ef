// Test hosts for the ssh backend, built on this machine from real Debian sshd and the real ssh
// client, all below namespaces the test creates (nothing in the root namespace, nothing in `ip
// netns list`):
//
//   mgmt ns: br0 10.200.0.1/24 ─┬─ veth ── host ns node0: mgmt 10.200.0.10, sshd on :22; enp0s8 ─┐
//   (the harness and ssh run    ├─ veth ── host ns node1: mgmt 10.200.0.11 ...          enp0s8 ─┼─ lab ns: br0
//    here, via nsenter --net)   └─ veth ── host ns node2: ...                           enp0s8 ─┘
//
// `routed` puts the harness one hop away, as on a management network behind a router: it runs in
// a client ns (10.201.0.2/24, default via 10.201.0.1), the mgmt ns forwards between the two
// subnets, and each host routes 10.201.0.0/24 via its gateway 10.200.0.1.
//
// Each host is `unshare --net --mount` with a tmpfs of its own on /run, so markers
// (/run/vxlab) and guest namespaces (/run/netns) are per host. Keys, sshd_config, known_hosts,
// the client's ssh_config and the hosts file live in a temp dir (0711: a non-root login reads its
// authorized_keys there, and the private files in it are 0600 or below 0700 dirs).
//
// With `login`, the hosts also know a non-root user (LOGIN_USER): copies of /etc/passwd, shadow,
// group (and, with sudo rights, of /etc/sudoers.d plus a NOPASSWD drop-in) are bind-mounted in
// each host's own mount namespace only, never on this machine's /etc (the host-safety guard
// hashes passwd and shadow).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { PROJECT_ROOT } from '../../../scenario/resolve.ts';
import { CLI } from '../../../testing/host.ts';
import type { Lab } from '../../../lab/model.ts';
import { pollUntil } from '../../../util/poll.ts';
import { nicAddressLines } from '../../nic.ts';

export const SSHD = '/usr/sbin/sshd';

/** Why the test hosts cannot be built here, or undefined when they can. */
export async function sshdMissing(): Promise<string | undefined> {
  for (const program of [SSHD, 'ssh', 'ssh-keygen', 'unshare', 'nsenter']) {
    const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', program], { reject: false });
    if (r.exitCode !== 0) return `${program} is not installed (apt-get install openssh-server openssh-client)`;
  }
  return undefined;
}

/** A process that holds namespaces of its own; its script prints `ready` once it is inside them. */
class Holder {
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  private constructor(argv: string[]) {
    // pdeathsig: if the test process dies, its hosts go with it.
    this.process = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
  }

  /**
   * Starts the holder and waits for its `ready`: until then its PID may still be setpriv or
   * unshare in the root namespace, and a command entering it would change the host.
   */
  static async start(argv: string[]): Promise<Holder> {
    const holder = new Holder(argv);
    let seen = '';
    holder.process.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
    await pollUntil(() => {
      if (holder.process.exitCode !== null) throw new Error(`${argv.join(' ')} exited before it was ready`);
      return seen.includes('ready\n') ? true : undefined;
    }, { what: 'a test namespace holder', timeoutMs: 10_000 });
    const [own, held] = await Promise.all([readlink('/proc/self/ns/net'), readlink(`/proc/${holder.pid}/ns/net`)]);
    if (own === held) {
      holder.process.kill('SIGKILL');
      throw new Error('the holder is still in the root network namespace');
    }
    return holder;
  }
  get pid(): number {
    return this.process.pid!;
  }
  /** setpriv execs: its PID becomes unshare's, which execs sh in the new namespaces. */
  netns(): string {
    return `--net=/proc/${this.pid}/ns/net`;
  }
  async stop(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.exited;
  }
}

/** Every process in one of these network namespaces (by /proc/PID/ns/net link), with its comm. */
async function processesIn(namespaces: ReadonlySet<string>): Promise<{ pid: number; comm: string }[]> {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process may end between the listing and the reads: it is not there then.
    const [comm, ns] = await Promise.all([readFile(`/proc/${entry}/comm`, 'utf8').catch(() => ''), readlink(`/proc/${entry}/ns/net`).catch(() => '')]);
    if (ns && namespaces.has(ns)) found.push({ pid: Number(entry), comm: comm.trim() });
  }
  return found;
}

async function inNet(holder: Holder, argv: string[], input?: string): Promise<string> {
  const r = await execa('nsenter', [holder.netns(), '--', ...argv], { reject: false, ...(input !== undefined ? { input } : {}) });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The non-root login the hosts know when built with `login`. */
export const LOGIN_USER = 'vxlab';

export interface LoginOptions {
  /** Whether the login may run anything as root through `sudo -n` (a NOPASSWD drop-in). */
  sudoRights: boolean;
  /** Its name; LOGIN_USER when left out (`vagrant` plays a Vagrant box's login). */
  user?: string;
}

/**
 * Copies of the account files with LOGIN_USER added, and a sudoers.d copy (with its drop-in when
 * it has sudo rights): what each host bind-mounts over its own /etc. Returns `mount` commands.
 */
async function loginFiles(dir: string, login: LoginOptions): Promise<string[]> {
  const user = login.user ?? LOGIN_USER;
  const etc = join(dir, 'etc');
  await mkdir(etc, { mode: 0o755 });
  const lines: Record<string, string> = {
    passwd: `${user}:x:4242:4242:vxlab test login:/:/bin/sh`,
    // '*': no password at all (sshd refuses a '!'-locked account without PAM); the key logs in.
    shadow: `${user}:*:19000:0:99999:7:::`,
    group: `${user}:x:4242:`,
  };
  const mounts: string[] = [];
  for (const [name, line] of Object.entries(lines)) {
    const copy = join(etc, name);
    await copyFile(`/etc/${name}`, copy);
    await writeFile(copy, `${(await readFile(copy, 'utf8')).replace(/\n?$/, '\n')}${line}\n`);
    await chmod(copy, name === 'shadow' ? 0o600 : 0o644);
    mounts.push(`mount -n --bind ${copy} /etc/${name}`);
  }
  // sudo reads sudoers.d files only if root owns them and no one else may write them.
  const sudoers = join(etc, 'sudoers.d');
  await mkdir(sudoers, { mode: 0o755 });
  for (const entry of await readdir('/etc/sudoers.d')) await copyFile(join('/etc/sudoers.d', entry), join(sudoers, entry));
  if (login.sudoRights) await writeFile(join(sudoers, 'vxlab-test'), `${user} ALL=(ALL:ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  mounts.push(`mount -n --bind ${sudoers} /etc/sudoers.d`);
  return mounts;
}

export interface SshTestHost {
  node: string;
  address: string;
  holder: Holder;
}

export class SshdHosts {
  private constructor(
    readonly dir: string,
    readonly hostsFile: string,
    private readonly mgmt: Holder,
    private readonly lab: Holder,
    /** Where the harness and ssh run: the mgmt ns, or the client ns one hop away when routed. */
    private readonly harness: Holder,
    readonly hosts: SshTestHost[],
    /** The login user the hosts file names (undefined: ssh_config's root). */
    readonly user?: string,
  ) {}

  /**
   * Three (or as many as the lab has) hosts playing `lab`'s nodes, each NIC as the lab says. With
   * `login`, the hosts file logs in as LOGIN_USER, with `sudo: true` unless `sudo` is false.
   */
  static async build(labModel: Lab, options: { login?: LoginOptions; sudo?: boolean; routed?: boolean; ipv6?: boolean; sshOnNic?: boolean } = {}): Promise<SshdHosts> {
    const dir = await mkdtemp(join(tmpdir(), 'vxlab-sshd-'));
    const holders: Holder[] = [];
    try {
      await chmod(dir, 0o711);
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vxlab-test-client', '-f', join(dir, 'client_key')]);
      await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o644 });
      const loginMounts = options.login ? await loginFiles(dir, options.login) : [];
      // sudo keeps its timestamps in /run/sudo: made up front, as on any host where sudo ran before.
      // root's home is a fresh one, as on a new Debian host: sshd starts every command with
      // `bash -c`, which sources ~/.bashrc under sshd, and this machine's runs pyenv (~300 ms a command).
      const runSetup = ['mount -t tmpfs -o mode=0755 vxlab-test-run /run', 'mount -t tmpfs -o mode=0700 vxlab-test-root /root', 'mkdir -p /run/sshd', ...(options.login ? ['mkdir -p -m 0711 /run/sudo/ts'] : []), ...loginMounts].join(' && ');
      const holderArgv = ['unshare', '--net', '--', 'sh', '-c', 'echo ready; read -r _'];
      const mgmt = await Holder.start(holderArgv);
      holders.push(mgmt);
      const lab = await Holder.start(holderArgv);
      holders.push(lab);
      await inNet(mgmt, ['ip', '-batch', '-'], `link set dev lo up\nlink add br0 type bridge\naddr add 10.200.0.1/24 dev br0\n${options.ipv6 ? 'addr add fd00:200::1/64 dev br0 nodad\n' : ''}link set dev br0 up\n`);
      await inNet(lab, ['ip', '-batch', '-'], 'link set dev lo up\nlink add br0 type bridge mcast_snooping 0\nlink set dev br0 up\n');
      let harness = mgmt;
      // `sshOnNic`: a host with one NIC, the lab's: the harness sits on the lab's network (192.168.8.1
      // on the lab switch) and reaches each host at its NIC's address.
      if (options.sshOnNic) {
        harness = lab;
        await inNet(lab, ['ip', 'addr', 'add', '192.168.8.1/24', 'dev', 'br0']);
      }
      if (options.routed) {
        harness = await Holder.start(holderArgv);
        holders.push(harness);
        await inNet(mgmt, ['ip', 'link', 'add', 'client', 'type', 'veth', 'peer', 'name', 'up', 'netns', String(harness.pid)]);
        await inNet(mgmt, ['ip', '-batch', '-'], 'addr add 10.201.0.1/24 dev client\nlink set dev client up\n');
        await inNet(mgmt, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
        await inNet(harness, ['ip', '-batch', '-'], 'link set dev lo up\naddr add 10.201.0.2/24 dev up\nlink set dev up up\nroute add default via 10.201.0.1\n');
      }
      const knownHosts: string[] = [];
      const hosts: SshTestHost[] = [];
      for (const [i, node] of labModel.nodes.entries()) {
        // `ipv6`: the management network is IPv6 (fd00:200::/64): sshd listens and the hosts file names the hosts there.
        const address = options.sshOnNic ? node.nic.address : options.ipv6 ? `fd00:200::${10 + i}` : `10.200.0.${10 + i}`;
        const hostDir = join(dir, node.name);
        await execa('mkdir', ['-m', '0700', hostDir]);
        await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', node.name, '-f', join(hostDir, 'host_key')]);
        knownHosts.push(`${address} ${(await readFile(join(hostDir, 'host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ')}`);
        const config = join(hostDir, 'sshd_config');
        await writeFile(
          config,
          [
            options.ipv6 ? `ListenAddress [${address}]:22` : `ListenAddress ${address}:22`, `HostKey ${join(hostDir, 'host_key')}`, `PidFile none`,
            `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
            // The keys live under /tmp (mode 1777), which StrictModes would refuse.
            'StrictModes no', 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
            'KbdInteractiveAuthentication no', 'UsePAM no', 'PrintMotd no', 'MaxSessions 100', 'MaxStartups 100:30:200',
          ].join('\n') + '\n',
        );
        // The host's own /run (markers, guest namespaces, sshd's privsep dir); sshd starts once its network is there.
        const holder = await Holder.start([
          'unshare', '--net', '--mount', '--propagation', 'private', '--', 'sh', '-c',
          `${runSetup} && echo ready && read -r _ && exec ${SSHD} -D -e -f "$1"`, 'sh', config,
        ]);
        holders.push(holder);
        const nic = node.nic;
        const veth = `h${i}`;
        await inNet(lab, ['ip', 'link', 'add', `${veth}l`, 'type', 'veth', 'peer', 'name', nic.name, 'netns', String(holder.pid)]);
        await inNet(lab, ['ip', '-batch', '-'], `link set dev ${veth}l mtu ${nic.mtu} master br0 up\n`);
        await inNet(mgmt, ['ip', '-batch', '-'], `link add ${veth}m type veth peer name mgmt netns ${holder.pid}\nlink set dev ${veth}m master br0 up\n`);
        await inNet(holder, ['ip', '-batch', '-'], [
          `link set dev ${nic.name} mtu ${nic.mtu}${nic.mac ? ` address ${nic.mac}` : ''}`,
          ...nicAddressLines(nic),
          `addr add 10.200.0.${10 + i}/24 dev mgmt`, ...(options.ipv6 ? [`addr add ${address}/64 dev mgmt nodad`] : []), 'link set dev mgmt up',
          ...(options.routed ? ['route add 10.201.0.0/24 via 10.200.0.1 dev mgmt'] : []),
        ].join('\n') + '\n');
        holder.process.stdin!.write('go\n');
        hosts.push({ node: node.name, address, holder });
      }
      await writeFile(join(dir, 'known_hosts'), `${knownHosts.join('\n')}\n`);
      await writeFile(
        join(dir, 'ssh_config'),
        `Host *\n  User ${options.login ? (options.login.user ?? LOGIN_USER) : 'root'}\n  IdentityFile ${join(dir, 'client_key')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n`,
      );
      const hostsFile = join(dir, 'hosts.yaml');
      const built = new SshdHosts(dir, hostsFile, mgmt, lab, harness, hosts, options.login ? (options.login.user ?? LOGIN_USER) : undefined);
      await built.writeHostsFile(hostsFile, { sudo: options.login !== undefined && options.sudo !== false });
      // Ready once every sshd listens (ss in each host's namespace).
      await pollUntil(
        async () => {
          for (const h of hosts) {
            if (h.holder.process.exitCode !== null) throw new Error(`sshd for ${h.node} exited`);
            const r = await execa('nsenter', [h.holder.netns(), '--', 'ss', '-Hltn', 'sport', '= :22'], { reject: false });
            if (!r.stdout.includes(h.address)) return undefined;
          }
          return true;
        },
        { what: 'the test sshds to listen', timeoutMs: 20_000 },
      );
      // Settled once every link has its carrier and its IPv6 link-local address past DAD: the
      // state the tests record before a run must not still be changing by itself.
      await pollUntil(
        async () => {
          for (const h of hosts) {
            const links = JSON.parse(await built.onHost(h.node, ['ip', '-j', 'addr', 'show'])) as { ifname: string; operstate: string; addr_info: { family: string; scope: string; tentative?: boolean }[] }[];
            for (const l of links) {
              if (l.ifname === 'lo') continue;
              if (l.operstate !== 'UP') return undefined;
              if (!l.addr_info.some((a) => a.family === 'inet6' && a.scope === 'link' && !a.tentative)) return undefined;
            }
          }
          return true;
        },
        { what: 'the test hosts\' links to settle', timeoutMs: 20_000 },
      );
      return built;
    } catch (error) {
      await Promise.all(holders.map((h) => h.stop()));
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Writes a hosts file for these hosts, each through `sudo: true` or not. */
  async writeHostsFile(file: string, options: { sudo: boolean }): Promise<void> {
    const user = this.user;
    const entry = (h: SshTestHost) => (options.sudo || h.address.includes(':') ? `{ host: "${h.address}"${user ? `, user: ${user}` : ''}${options.sudo ? ', sudo: true' : ''} }` : `${user ? `${user}@` : ''}${h.address}`);
    await writeFile(file, `ssh_config: ./ssh_config\nnodes:\n${this.hosts.map((h) => `  ${h.node}: ${entry(h)}`).join('\n')}\n`);
  }

  /** The CLI where the harness reaches the hosts from (the management namespace, or the client one when routed); `ssh` adds --backend ssh --hosts. */
  startCli(args: string[], options: { ssh?: boolean; env?: Record<string, string> } = {}): ResultPromise<{ reject: false }> {
    const ssh = options.ssh === false ? [] : ['--backend', 'ssh', '--hosts', this.hostsFile];
    return execa('nsenter', [this.harness.netns(), '--', process.execPath, CLI, ...args, ...ssh], {
      cwd: PROJECT_ROOT, reject: false, env: { NO_COLOR: '1', ...options.env }, stripFinalNewline: false, timeout: 280_000,
      // A SIGTERM sent by a test must stay a SIGTERM: execa would SIGKILL 5 s later, mid-teardown.
      forceKillAfterDelay: false,
    }) as ResultPromise<{ reject: false }>;
  }

  async runCli(args: string[], options: { ssh?: boolean; env?: Record<string, string> } = {}): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
    const r = await this.startCli(args, options);
    return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /** The argv prefix that runs a program where the harness runs (the management namespace unless routed). */
  get inMgmt(): string[] {
    return ['nsenter', this.harness.netns(), '--'];
  }

  /** Runs argv inside a host's network and mount namespaces (the test's own view of the host). */
  async onHost(node: string, argv: string[], input?: string): Promise<string> {
    const h = this.hosts.find((x) => x.node === node)!;
    const r = await execa('nsenter', ['-t', String(h.holder.pid), '--net', '--mount', '--', ...argv], { reject: false, ...(input !== undefined ? { input } : {}) });
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} on ${node} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** PIDs of the processes named `name` (their comm) in a host's network namespace. */
  async processesOn(node: string, name: string): Promise<number[]> {
    const h = this.hosts.find((x) => x.node === node)!;
    const netns = await readlink(`/proc/${h.holder.pid}/ns/net`);
    return (await processesIn(new Set([netns]))).filter((p) => p.comm === name).map((p) => p.pid);
  }

  /**
   * The test's own reading of a host, field by field (not the backend's parser): links, addresses,
   * routes, permanent neighbours, permanent FDB entries, guest namespaces and vxlab's marker dir.
   */
  async state(node: string): Promise<Record<string, string[]>> {
    const json = async (argv: string[]) => JSON.parse((await this.onHost(node, argv)) || '[]') as Record<string, unknown>[];
    // One sorted line per entry, the fields named: order-free, and a difference reads as a line.
    const lines = (rows: Record<string, unknown>[], keys: string[]) => rows.map((r) => keys.map((k) => `${k}=${JSON.stringify(r[k])}`).join(' ')).sort();
    const addresses = (await json(['ip', '-j', 'addr', 'show'])).flatMap((a) => ((a.addr_info as Record<string, unknown>[]) ?? []).map((i) => `${String(a.ifname)} ${String(i.local)}/${String(i.prefixlen)}`)).sort();
    const list = async (dir: string) => (await this.onHost(node, ['sh', '-c', `ls -A ${dir} 2>/dev/null; true`])).split('\n').filter(Boolean).sort();
    return {
      links: lines(await json(['ip', '-j', 'link', 'show']), ['ifname', 'mtu', 'flags', 'address', 'master', 'operstate']),
      addresses,
      routes: lines(await json(['ip', '-j', 'route', 'show', 'table', 'all']), ['dst', 'dev', 'gateway', 'table', 'protocol', 'scope', 'prefsrc']),
      routes6: lines(await json(['ip', '-6', '-j', 'route', 'show', 'table', 'all']), ['dst', 'dev', 'gateway', 'table', 'protocol']),
      neighbours: lines(await json(['ip', '-j', 'neigh', 'show', 'nud', 'permanent']), ['dst', 'dev', 'lladdr']),
      fdb: lines((await json(['bridge', '-j', 'fdb', 'show'])).filter((f) => f.state === 'permanent' || f.state === 'static'), ['mac', 'ifname', 'dst', 'flags', 'state']),
      netns: await list('/run/netns'),
      run: await list('/run'),
    };
  }

  async states(): Promise<Record<string, Record<string, string[]>>> {
    return Object.fromEntries(await Promise.all(this.hosts.map(async (h) => [h.node, await this.state(h.node)] as const)));
  }

  async stop(): Promise<void> {
    const holders = [...new Set([...this.hosts.map((h) => h.holder), this.mgmt, this.lab, this.harness])];
    const namespaces = new Set((await Promise.all(holders.map((h) => readlink(`/proc/${h.pid}/ns/net`).catch(() => '')))).filter(Boolean));
    await Promise.all(holders.map((h) => h.stop()));
    // A session sshd forked (`sshd: root@notty`) outlives the listener: end all that is left in the hosts' namespaces.
    for (const { pid } of await processesIn(namespaces)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
