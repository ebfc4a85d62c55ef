// What the netns backend needs from the machine, checked before anything is built.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PrerequisiteError } from '../../util/errors.ts';
import { onPath } from '../../util/on-path.ts';
import { execArgv } from '../../util/process.ts';

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

const TOOLS: { program: string; fix: string }[] = [
  { program: 'ip', fix: 'install it: apt-get install -y iproute2' },
  { program: 'bridge', fix: 'install it: apt-get install -y iproute2' },
  { program: 'tcpdump', fix: 'install it: apt-get install -y tcpdump' },
  { program: 'ping', fix: 'install it: apt-get install -y iputils-ping' },
  { program: 'unshare', fix: 'install it: apt-get install -y util-linux' },
  { program: 'nsenter', fix: 'install it: apt-get install -y util-linux' },
  { program: 'setpriv', fix: 'install it: apt-get install -y util-linux' },
  { program: 'flock', fix: "install it: apt-get install -y util-linux (the lock of the neighbour-table ledger)" },
  { program: 'bwrap', fix: 'install it: apt-get install -y bubblewrap (each node is a bubblewrap sandbox)' },
  { program: 'bash', fix: 'install it: apt-get install -y bash (vxlab starts commands in nodes from bash)' },
];


/** Is this process in the machine's own user namespace (root as root), not rootless mode's? */
export async function inInitialUserNamespace(): Promise<boolean> {
  const map = await readFile('/proc/self/uid_map', 'utf8');
  return /^\s*0\s+0\s+4294967295\s*$/.test(map.trim());
}

async function effectiveCapabilities(): Promise<bigint> {
  const status = await readFile('/proc/self/status', 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('CapEff:'));
  return line ? BigInt(`0x${line.split(/\s+/)[1]}`) : 0n;
}

export async function hasNetnsCapabilities(): Promise<boolean> {
  const caps = await effectiveCapabilities();
  const has = (bit: number) => (caps & (1n << BigInt(bit))) !== 0n;
  return has(CAP_NET_ADMIN) && has(CAP_SYS_ADMIN);
}

/**
 * Whether the kernel has its VXLAN driver already (loaded, or built in: it has parameters, so it
 * shows in /sys/module either way). Then no probe namespace is made: its device is deleted after
 * the probe, under RTNL, by the kernel's cleanup worker (about 18 ms a VXLAN device), right while
 * the lab builds.
 */
export function vxlanModuleLoaded(sysModule = '/sys/module'): boolean {
  return existsSync(join(sysModule, 'vxlan'));
}

export async function checkNetnsPrerequisites(): Promise<void> {
  if (!(await hasNetnsCapabilities())) {
    throw new PrerequisiteError(
      'CAP_NET_ADMIN and CAP_SYS_ADMIN are needed to build network namespaces, and this process lacks them',
      'run it as root: sudo npm run lab -- NAME',
    );
  }
  // A throwaway namespace tells whether this kernel can make VXLAN devices at all (and loads the
  // module), unless the module is there already. It runs beside the tools' checks (start-up time),
  // and is judged after them: a missing tool says more.
  const probing = vxlanModuleLoaded()
    ? Promise.resolve({ exitCode: 0, stderr: '' })
    : execArgv(['unshare', '--net', '--', 'ip', 'link', 'add', 'vxprobe', 'type', 'vxlan', 'id', '1', 'dstport', '4789'], { timeoutMs: 5000 });
  const results = await Promise.all(TOOLS.map(async (tool) => ({ tool, found: await onPath(tool.program) })));
  const probe = await probing;
  for (const { tool, found } of results) {
    if (!found) throw new PrerequisiteError(`${tool.program} is not installed`, tool.fix);
  }
  if (probe.exitCode !== 0) {
    throw new PrerequisiteError(
      `this kernel cannot create VXLAN devices (${probe.stderr.trim() || `exit code ${probe.exitCode}`})`,
      'load the module (modprobe vxlan) or use a kernel built with CONFIG_VXLAN',
    );
  }
}
