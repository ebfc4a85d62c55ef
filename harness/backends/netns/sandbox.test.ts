import { describe, expect, it } from 'vitest';
import { nodeCapabilities } from '../node-user.ts';
import { DROPPER_PATH, HOLDER_PATH, bwrapArgv, diesWithParentArgv, enterArgv, inNetworkOfArgv } from './sandbox.ts';

const root = '/tmp/vxlab-root-vx00000001-42-7-abcdef/node';
const procKind = (path: string) => (path === '/proc/acpi' ? 'directory' : path === '/proc/kcore' ? undefined : 'file') as 'file' | 'directory' | undefined;

describe('bwrapArgv', () => {
  const argv = bwrapArgv({ hostname: 'node0', root, rootless: false, procKind });
  const pairs = (flag: string) => argv.flatMap((a, i) => (a === flag ? [`${argv[i + 1]} ${argv[i + 2]}`] : []));

  it('unshares every namespace but the user one, and dies with vxlab', () => {
    expect(argv).toEqual(expect.arrayContaining(['--unshare-net', '--unshare-pid', '--unshare-uts', '--unshare-ipc', '--die-with-parent', '--clearenv']));
    expect(argv).not.toContain('--unshare-user');
    expect(argv.slice(-2)).toEqual(['--', HOLDER_PATH]);
  });

  it('binds exactly the tree, read-only, whole as the root before anything is mounted on it, and makes the root read-only last', () => {
    expect(pairs('--ro-bind').filter((p) => !p.includes('/proc') && !p.startsWith('/dev/null'))).toEqual([`${root} /`]);
    expect(argv.indexOf('--ro-bind')).toBeLessThan(argv.indexOf('--proc'));
    expect(argv).not.toContain('--bind-try');
    expect(argv.filter((a) => a === '--bind')).toHaveLength(1); // /proc/sys/net alone is writable
    expect(pairs('--bind')).toEqual(['/proc/sys/net /proc/sys/net']);
    expect(argv.join(' ')).toMatch(/--remount-ro \/ -- \/\.vxlab\/holder$/);
    expect(argv.lastIndexOf('--remount-ro')).toBeGreaterThan(argv.lastIndexOf('--ro-bind'));
  });

  it("keeps /proc/sys and the kernel's knobs read-only, and masks what this kernel has", () => {
    expect(pairs('--ro-bind')).toEqual(expect.arrayContaining(['/proc/sys /proc/sys', '/proc/sysrq-trigger /proc/sysrq-trigger', '/dev/null /proc/keys']));
    expect(argv.join(' ')).toContain('--perms 0555 --tmpfs /proc/acpi --remount-ro /proc/acpi');
    expect(argv.join(' ')).not.toContain('/proc/kcore');
  });

  it('makes no directory or link of its own: the root is read-only, its mount points are in the tree', () => {
    expect(argv).not.toContain('--dir');
    expect(argv).not.toContain('--symlink');
  });

  it('in rootless mode, makes a user namespace and shows a sysfs ip netns exec may copy', () => {
    const rootless = bwrapArgv({ hostname: 'node0', root, rootless: true, procKind });
    expect(rootless).toContain('--unshare-user');
    expect(rootless.join(' ')).toContain('--ro-bind /sys /.vxlab/sys');
    expect(rootless).not.toContain('--cap-drop');
  });
});

describe('enterArgv', () => {
  it('enters every namespace of the node, then becomes nobody with only the node capabilities', () => {
    const argv = enterArgv({ pid: 4242, start: 99 }, nodeCapabilities({ guestNamespaces: false, sysctlWrites: true }), false, ['ip', 'link']);
    expect(argv.slice(0, 10)).toEqual(['nsenter', '-t', '4242', '--net', '--mount', '--pid', '--uts', '--ipc', '--', DROPPER_PATH]);
    expect(argv.join(' ')).toContain('--reuid 65534 --regid 65534 --clear-groups');
    expect(argv.join(' ')).toContain('--bounding-set -all,+net_admin,+net_raw --no-new-privs');
    expect(argv.slice(-3)).toEqual(['--', 'ip', 'link']);
  });

  it('adds SYS_ADMIN only for guest namespaces, and keeps the uid in rootless mode', () => {
    const argv = enterArgv({ pid: 1, start: 5 }, nodeCapabilities({ guestNamespaces: true, sysctlWrites: false }), true, ['ip', 'netns', 'add', 'vm0']);
    expect(argv.join(' ')).toContain('--ambient-caps -all,+net_admin,+net_raw,+sys_admin');
    expect(argv).not.toContain('--reuid');
  });

  it('with vxlab-enter: the holder and its start time, the capabilities as a bit mask, nobody (or no change in rootless mode), then the argv intact', () => {
    const argv = enterArgv({ pid: 4242, start: 99 }, nodeCapabilities({ guestNamespaces: false, sysctlWrites: true }), false, ['ip', '--', 'link'], '/x/dist/vxlab-enter');
    // CAP_NET_ADMIN is 12 and CAP_NET_RAW 13: 0x3000.
    expect(argv).toEqual(['/x/dist/vxlab-enter', '4242', '99', String(0x3000), '65534', '--', 'ip', '--', 'link']);
    const guest = enterArgv({ pid: 7, start: 3 }, nodeCapabilities({ guestNamespaces: true, sysctlWrites: false }), true, ['ip', 'netns', 'add', 'vm0'], '/x/dist/vxlab-enter');
    // CAP_SYS_ADMIN is 21.
    expect(guest.slice(0, 6)).toEqual(['/x/dist/vxlab-enter', '7', '3', String(0x3000 | (1 << 21)), '-', '--']);
  });
});

describe('vxlab\'s own plumbing', () => {
  it('dies with its parent through vxlab-enter, else setpriv', () => {
    expect(diesWithParentArgv(['bash', 'x.sh'], '/p/vxlab-enter')).toEqual(['/p/vxlab-enter', '--pdeathsig', '--', 'bash', 'x.sh']);
    expect(diesWithParentArgv(['bash', 'x.sh'])).toEqual(['setpriv', '--pdeathsig', 'KILL', '--', 'bash', 'x.sh']);
  });

  it('runs the underlay\'s ip in a network namespace through vxlab-enter, else nsenter', () => {
    expect(inNetworkOfArgv(42, ['ip', '-batch', 'f'], '/p/vxlab-enter')).toEqual(['/p/vxlab-enter', '--net', '42', '--', 'ip', '-batch', 'f']);
    expect(inNetworkOfArgv(42, ['ip', '-batch', 'f'])).toEqual(['nsenter', '-t', '42', '--net', '--', 'ip', '-batch', 'f']);
  });
});

