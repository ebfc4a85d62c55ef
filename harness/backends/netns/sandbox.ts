// A node's sandbox, planned (pure): bubblewrap gives each node its own network, PID, mount, UTS
// and IPC namespaces, and a read-only root holding only the node's programs and their libraries
// (the lab's assembled root tree, root-tree.ts, bound whole), a private /run and /tmp, its own
// /proc (with /proc/sys read-only except /proc/sys/net) and a minimal /dev. No other host path is
// visible. Commands enter it with vxlab-enter (or nsenter and setpriv), which keeps only the
// capabilities the node needs.
import { NODE_UID, capabilityMask, setprivOptions } from '../node-user.ts';

/** The process that holds the namespaces: `cat` on a pipe only vxlab holds, out of PATH. */
export const HOLDER_PATH = '/.vxlab/holder';
/** setpriv inside the tree, out of PATH: it drops capabilities before the command runs. */
export const DROPPER_PATH = '/.vxlab/setpriv';

/** /proc entries that stay read-only (as Docker keeps them): the kernel's knobs outside the node. */
const READ_ONLY_PROC = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger'];
/** /proc entries that show host memory, keys or timers: covered with /dev/null (as Docker does). */
const MASKED_PROC = ['/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/sched_debug', '/proc/acpi', '/proc/scsi'];

/** The environment every node process gets: nothing of the harness's own. */
export const NODE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } as const;

export interface SandboxPlan {
  hostname: string;
  /** The host directory that becomes the node's `/`, read-only: its files and mount points (root-tree.ts). */
  root: string;
  /**
   * Rootless mode: vxlab runs as a user whose capabilities come from a user namespace. bwrap then
   * makes a user namespace of its own for the node, where the kernel lets `ip netns exec` mount a
   * sysfs only if one is visible already: the host's goes read-only to /.vxlab/sys, out of the way.
   */
  rootless: boolean;
  /** What each of READ_ONLY_PROC and MASKED_PROC is on this kernel: bwrap can only cover what exists. */
  procKind: (path: string) => 'file' | 'directory' | undefined;
}

/** bwrap's argv for a node; its info on fd 3 names the sandbox's first process. */
export function bwrapArgv(plan: SandboxPlan): string[] {
  return [
    'bwrap',
    '--unshare-net', '--unshare-pid', '--unshare-uts', '--unshare-ipc',
    '--hostname', plan.hostname,
    '--die-with-parent', '--clearenv', '--info-fd', '3',
    // The holder itself needs no capability; commands get theirs when they enter (enterArgv).
    ...(plan.rootless ? ['--unshare-user'] : ['--cap-drop', 'ALL']),
    // One mount for the whole tree; everything below is mounted on its (existing) mount points.
    '--ro-bind', plan.root, '/',
    '--proc', '/proc',
    // Sources are the host's /proc, whose sysctl entries show the reader's own namespaces.
    '--ro-bind', '/proc/sys', '/proc/sys',
    '--bind', '/proc/sys/net', '/proc/sys/net',
    ...READ_ONLY_PROC.filter((p) => plan.procKind(p)).flatMap((p) => ['--ro-bind', p, p]),
    // A masked file shows /dev/null; a masked directory an empty read-only tmpfs.
    ...MASKED_PROC.flatMap((p) => {
      const kind = plan.procKind(p);
      return kind === 'file' ? ['--ro-bind', '/dev/null', p] : kind === 'directory' ? ['--perms', '0555', '--tmpfs', p, '--remount-ro', p] : [];
    }),
    '--dev', '/dev',
    ...(plan.rootless ? ['--ro-bind', '/sys', '/.vxlab/sys'] : []),
    // Writable for the node's user (who is not the tree's owner), sticky so the marker stays vxlab's; the tree has /var/run -> ../run.
    '--perms', '01777', '--tmpfs', '/run',
    '--perms', '01777', '--tmpfs', '/tmp',
    '--remount-ro', '/',
    '--', HOLDER_PATH,
  ];
}

/**
 * Runs argv inside the node, never through a shell: nsenter joins the node's namespaces (as root,
 * or as the rootless user, who owns the node's user namespace), then setpriv becomes the node's
 * user with only the node's capabilities, and no way to gain more (no_new_privs). `enter`, when
 * given, is vxlab-enter (enter.c), which does all of that in one program without a C library.
 */
export function enterArgv(holder: { pid: number; start: number }, capabilities: readonly string[], rootless: boolean, argv: readonly string[], enter?: string): string[] {
  // In rootless mode commands keep the user's uid: the only one its user namespace maps.
  if (enter !== undefined) return [enter, String(holder.pid), String(holder.start), String(capabilityMask(capabilities)), rootless ? '-' : String(NODE_UID), '--', ...argv];
  return [
    'nsenter', '-t', String(holder.pid), '--net', '--mount', '--pid', '--uts', '--ipc', '--',
    DROPPER_PATH, ...setprivOptions(capabilities, { changeUser: !rootless }), '--pdeathsig', 'KILL', '--',
    ...argv,
  ];
}

/**
 * argv that gets SIGKILL when its parent (vxlab, or the bash that started it) dies: vxlab-enter
 * --pdeathsig, else setpriv --pdeathsig KILL. For vxlab's own launchers and holders.
 */
export function diesWithParentArgv(argv: readonly string[], enter?: string): string[] {
  return enter !== undefined ? [enter, '--pdeathsig', '--', ...argv] : ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
}

/** argv of the host's program (as root) in the network namespace of `pid` only: the underlay's `ip -batch`. */
export function inNetworkOfArgv(pid: number | string, argv: readonly string[], enter?: string): string[] {
  return enter !== undefined ? [enter, '--net', String(pid), '--', ...argv] : ['nsenter', '-t', String(pid), '--net', '--', ...argv];
}

/**
 * A bash line (pure) that closes every fd but 0-2, `keep` and bash's script (`-ef "$0"`: bash reads
 * it from 255, or from below when 255 was taken). Node passes
 * whatever vxlab inherited (an fd its own parent left open, not close-on-exec) to each child, and
 * bwrap and bash pass it on: to a holder, whose /proc/PID/fd a node's program can open in rootless
 * mode (it is of the user who owns the sandbox's user namespace: 39th attack), and to programs
 * entered with nsenter (vxlab-enter closes them itself). Each launcher's bash starts with it.
 */
export function closeInheritedFds(keep: readonly number[]): string {
  return `for f in /proc/self/fd/*; do case " ${[0, 1, 2, ...keep].join(' ')} " in *" \${f##*/} "*) continue;; esac; [ "$f" -ef "$0" ] || eval "exec \${f##*/}>&-"; done`;
}
