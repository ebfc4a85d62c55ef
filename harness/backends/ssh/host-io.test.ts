import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { SshConnection } from './connection.ts';
import { restoreHost, restoreScript, splitStateReads, stateReadScript } from './host-io.ts';
import { STATE_READS, parseHostState, restorePlan, stateLines, stateWithMade } from './host-state.ts';

describe('the batched state read', () => {
  it('gives each read its own output and the sysctl values, run by sh here (reads only)', async () => {
    const r = await execa('sh', ['-c', stateReadScript(['net.ipv4.ip_forward', 'net.ipv4.conf.vxlab-none.forwarding'])], { env: { LC_ALL: 'C' } });
    const { outputs, sysctls } = splitStateReads(r.stdout);
    expect(outputs).toHaveLength(STATE_READS.length);
    expect(JSON.parse(outputs[0]!)).toContainEqual(expect.objectContaining({ ifname: 'lo' }));
    expect(['yes', 'no']).toContain(outputs[STATE_READS.length - 1]!.trim());
    // The key that does not exist is left out, not an error; ip_forward brings every device's forwarding.
    expect(sysctls['net.ipv4.conf.vxlab-none.forwarding']).toBeUndefined();
    for (const key of ['net.ipv4.ip_forward', 'net.ipv4.conf.all.accept_redirects', 'net.ipv4.conf.all.forwarding', 'net.ipv4.conf.default.forwarding', 'net.ipv4.conf.lo.forwarding']) expect(sysctls[key]).toMatch(/^[01]$/);
    expect(Object.keys(sysctls).filter((k) => !/^net\.ipv4\.(ip_forward|conf\.all\.accept_redirects|conf\.[^.]+\.forwarding)$/.test(k))).toEqual([]);
    expect(parseHostState(outputs, sysctls).links.lo).toMatchObject({ mtu: 65536 });
  });

  it('reads a recorded state\'s keys exactly: an all key recorded beside ip_forward brings no more keys on the re-read', async () => {
    const first = splitStateReads((await execa('sh', ['-c', stateReadScript(['net.ipv4.ip_forward'])], { env: { LC_ALL: 'C' } })).stdout).sysctls;
    const again = splitStateReads((await execa('sh', ['-c', stateReadScript(Object.keys(first), true)], { env: { LC_ALL: 'C' } })).stdout).sysctls;
    expect(Object.keys(again).sort()).toEqual(Object.keys(first).sort());
  });

  it('stops at a read that fails, with its exit code', async () => {
    for (const [read, failing] of <[string, string][]>[["'ip' '-4' '-j' 'route' 'show' 'table' 'all'", "'ip' '-j' 'link' 'show' 'dev' 'vxlab-none'"], ['\nneigh show\n', '\nlink show dev vxlab-none\n']]) {
      const script = stateReadScript([]);
      expect(script).toContain(read);
      const r = await execa('sh', ['-c', script.replace(read, failing)], { reject: false });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/vxlab-none/);
    }
  });

  it('reads, with three reads in one ip -batch, the same state as each read run alone without -d (in a network namespace of its own)', async () => {
    // An unnamed namespace of this test's own (gone when sh exits), with one of each kind of fact.
    const setup = [
      'ip link add vx-a type veth peer name vx-b', 'ip link add vx-br type bridge', 'ip link set vx-b master vx-br',
      'ip link add vx-vx type vxlan id 5 dstport 4789 local 10.77.0.1', 'ip addr add 10.77.0.1/24 dev vx-a', 'ip -6 addr add fd77::1/64 dev vx-a nodad',
      'ip link set vx-a up', 'ip link set vx-br up', 'ip route add 10.78.0.0/16 via 10.77.0.2 table 100', 'ip route add 10.79.0.0/16 via 10.77.0.2',
      'ip -6 route add fd78::/64 via fd77::2 table 7', 'ip neigh add 10.77.0.7 lladdr 02:00:00:00:00:07 dev vx-a nud permanent',
      'bridge fdb append 00:00:00:00:00:00 dev vx-vx dst 10.77.0.9',
    ].join(' && ');
    const alone = STATE_READS.map((argv) => (argv[0] === 'ip' && argv[2] === '-d' && argv[3] !== 'link' ? ['ip', '-j', ...argv.slice(3)] : argv));
    const oneByOne = alone.map((argv) => `${argv.map((w) => `'${w}'`).join(' ')}; printf '\\n--one--\\n'`).join('\n');
    const r = await execa('unshare', ['-n', 'sh', '-c', `${setup} && ${stateReadScript([])} && echo --vxlab-both-- && ${oneByOne}`], { env: { LC_ALL: 'C' } });
    const [batched, separate] = r.stdout.split('\n--vxlab-both--\n') as [string, string];
    const { outputs } = splitStateReads(batched);
    expect(outputs).toHaveLength(STATE_READS.length);
    const fromBatch = stateLines(parseHostState(outputs, {}));
    expect(fromBatch).toEqual(expect.arrayContaining(['address 10.77.0.1/24 dev vx-a', 'address fd77::1/64 dev vx-a', expect.stringMatching(/^neighbour 10\.77\.0\.7 dev vx-a/), expect.stringMatching(/^route 4 table 100 10\.78\.0\.0\/16/), expect.stringMatching(/^route 6 table 7 fd78::\/64/), expect.stringMatching(/^fdb 00:00:00:00:00:00 dev vx-vx dst 10\.77\.0\.9/)]));
    expect(fromBatch).toEqual(stateLines(parseHostState(separate.split('\n--one--\n').slice(0, STATE_READS.length).map((o) => o.trim()), {})));
  });
});

describe('the restore script (run before the re-read, in one round trip)', () => {
  it('runs each command with its words intact, plain ones in one batch, and writes nothing on stdout; run by sh here against stubs', async () => {
    // Stubs named ip, bridge, sysctl that log their argv and a batch's input; every name below is
    // one no host has, so even the real programs would change nothing.
    const dir = mkdtempSync(join(tmpdir(), 'vxlab-restore-script-'));
    try {
      const log = join(dir, 'log');
      for (const program of ['ip', 'bridge', 'sysctl']) {
        writeFileSync(join(dir, program), `#!/bin/sh\n{ echo "${program} [$*]"; case " $* " in *" -batch "*) cat ;; esac; } >> '${log}'\necho noise\n`);
        chmodSync(join(dir, program), 0o755);
      }
      const script = restoreScript({
        namespaces: ['vxlab-none-ns'],
        ip: [['link', 'del', 'dev', 'vxlab-none0'], ['link', 'del', 'dev', "it's#odd"], ['-6', 'route', 'del', '2001:db8::/64', 'dev', 'vxlab-none0', 'table', 'main']],
        bridge: [['fdb', 'del', '00:00:00:00:00:00', 'dev', 'vxlab-none0', 'self']],
        sysctls: ['net.ipv4.conf.vxlab-none.forwarding=0'],
        removeNetnsDir: false,
        notOurs: [],
      });
      const r = await execa('sh', ['-c', script.join('\n')], { env: { PATH: `${dir}:/usr/bin:/bin` }, extendEnv: false });
      expect(r.stdout).toBe('');
      expect(readFileSync(log, 'utf8').split('\n')).toEqual([
        'ip [netns del vxlab-none-ns]',
        'ip [-force -batch -]',
        'link del dev vxlab-none0',
        "ip [link del dev it's#odd]",
        'ip [-6 route del 2001:db8::/64 dev vxlab-none0 table main]',
        'bridge [-force -batch -]',
        'fdb del 00:00:00:00:00:00 dev vxlab-none0 self',
        'sysctl [-q -w net.ipv4.conf.vxlab-none.forwarding=0]',
        '',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes the run\'s marker (and its directory when empty) only when every command succeeded, saying so on stderr; run by sh here against stubs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vxlab-restore-marker-'));
    try {
      const plan = { namespaces: [], ip: [['link', 'del', 'dev', 'vxlab-none0']], bridge: [], sysctls: ['net.ipv4.conf.vxlab-none.forwarding=0'], removeNetnsDir: false, notOurs: [] };
      const run = async (sysctlExit: number) => {
        for (const [program, exit] of [['ip', 0], ['sysctl', sysctlExit]] as const) {
          writeFileSync(join(dir, program), `#!/bin/sh\ncase " $* " in *" -batch "*) cat >/dev/null ;; esac\nexit ${exit}\n`);
          chmodSync(join(dir, program), 0o755);
        }
        mkdirSync(join(dir, 'vxlab'), { recursive: true });
        writeFileSync(join(dir, 'vxlab', 'vxrun.json'), '{}');
        return execa('sh', ['-c', restoreScript(plan, join(dir, 'vxlab', 'vxrun.json')).join('\n')], { env: { PATH: `${dir}:/usr/bin:/bin` }, extendEnv: false });
      };
      const failed = await run(1);
      expect(failed.stderr).not.toMatch(/vxlab-marker-removed/);
      expect(existsSync(join(dir, 'vxlab', 'vxrun.json'))).toBe(true);
      const done = await run(0);
      expect(done.stdout).toBe('');
      expect(done.stderr.split('\n')).toContain('vxlab-marker-removed');
      expect(existsSync(join(dir, 'vxlab'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is empty when there is nothing to restore (then no round trip is made)', () => {
    expect(restoreScript({ namespaces: [], ip: [], bridge: [], sysctls: [], removeNetnsDir: false, notOurs: [] })).toEqual([]);
  });
});

describe('restoreHost and the run\'s marker', () => {
  /**
   * A scripted connection whose every read gives this machine's own state (read-only); a restore
   * round trip also says `restoreSaid` on stderr. `before` is that state without lo, as if the run
   * had made lo: the restore deletes it, the scripted read after still has it.
   */
  const scripted = async (restoreSaid: string) => {
    const local = (await execa('sh', ['-c', stateReadScript([])], { env: { LC_ALL: 'C' } })).stdout;
    const calls: string[] = [];
    const conn = {
      host: { node: 'node0' },
      destination: 'scripted',
      plainExec: async (argv: readonly string[]) => {
        const restore = argv.join(' ').includes('vxlab_ok=1');
        calls.push(restore ? 'restore' : 'read');
        return { exitCode: 0, stdout: local, stderr: restore ? restoreSaid : '', durationMs: 1, timedOut: false };
      },
      open: async () => undefined,
    } as unknown as SshConnection;
    const before = parseHostState(splitStateReads(local).outputs, {});
    delete before.links.lo;
    return { conn, calls, before };
  };

  it('puts the marker back when the restore removed it but the host is still not restored', async () => {
    // Every read gives this machine's own state; the restore round trip says it removed the
    // marker. The run "owns" lo, which is there after: not restored.
    const { conn, calls, before } = await scripted('vxlab-marker-removed\n');
    let putBack = 0;
    const r = await restoreHost(conn, before, { interfaces: ['lo'], namespaces: [] }, { path: '/run/vxlab/vxrun.json', putBack: async () => void putBack++ });
    // No sysctl recorded: the restore goes first, planned on the names the run owns; the read
    // after it still has lo, so the plan from that read goes too. Each time the marker comes back.
    expect(calls).toEqual(['restore', 'restore']);
    expect(r.left.join('\n')).toMatch(/lo/);
    expect(r.markerRemoved).toBe(false);
    expect(putBack).toBe(2);
    // And its line is not taken for what the restore said.
    expect(r.said ?? '').not.toMatch(/vxlab-marker-removed/);
    // With a sysctl recorded, the host is read first: a value set since by someone else stays theirs.
    calls.length = 0;
    const withKey = { ...before, sysctls: Object.assign(Object.create(null) as Record<string, string>, { 'net.ipv4.ip_forward': '0' }) };
    await restoreHost(conn, withKey, { interfaces: ['lo'], namespaces: [], sysctls: { 'net.ipv4.ip_forward': ['1'] } }, { path: '/run/vxlab/vxrun.json', putBack: async () => void putBack++ });
    expect(calls).toEqual(['read', 'restore']);
  });

  it('puts the marker back when the host is still not restored even if the try did not say it removed it (ssh lost that try, hostCommand ran it again)', async () => {
    const { conn, before } = await scripted('');
    let putBack = 0;
    const r = await restoreHost(conn, before, { interfaces: ['lo'], namespaces: [] }, { path: '/run/vxlab/vxrun.json', putBack: async () => void putBack++ });
    expect(r.left.join('\n')).toMatch(/lo/);
    expect(putBack).toBe(2);
  });

  it('plans a restore with no sysctl on the names the run owns: their devices and namespaces deleted, /run/netns with them', () => {
    const before = parseHostState(['[{"ifname":"lo","mtu":65536,"flags":["UP"]}]', '[]', '[]', '[]', '[]', '[]', '[]', 'no'], {});
    const owned = { interfaces: ['vxlan0', 'lo'], namespaces: ['red'] };
    const plan = restorePlan(before, stateWithMade(before, owned), owned);
    expect(plan).toMatchObject({ namespaces: ['red'], ip: [['link', 'del', 'dev', 'vxlan0']], bridge: [], sysctls: [], removeNetnsDir: true });
  });
});
