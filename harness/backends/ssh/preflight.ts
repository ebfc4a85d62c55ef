// Is each host ready to play its lab node? Reachable, its programs there, the lab's NIC with the
// lab's address and MTU, and nothing of what the steps create already present. Every problem
// says what differs and what to do; the backend turns them into one PrerequisiteError (exit 3).
import type { LabNode } from '../../lab/model.ts';
import type { NodeChanges } from '../../lab/node-changes.ts';
import { ALLOWED_PROGRAMS } from '../../policy/policy.ts';
import type { SshConnection } from './connection.ts';
import { own, type HostState } from './host-state.ts';
import { hostCommand } from './host-io.ts';

/** Problems a recorded state shows for `node` (pure). */
export function stateProblems(node: LabNode, labName: string, state: HostState, changes: NodeChanges | undefined, cleanHint: string): string[] {
  const problems: string[] = [];
  const nic = node.nic;
  const want = `${nic.address}/${nic.prefixLength}`;
  const link = own(state.links, nic.name);
  if (!link) {
    const have = Object.keys(state.links).filter((l) => l !== 'lo').join(', ') || 'none';
    problems.push(`${node.name} has no NIC ${nic.name} (it has ${have}); lab ${labName} needs ${nic.name} with ${want}, MTU ${nic.mtu}: map ${node.name} to a host that has it, or rename the NIC`);
    return problems;
  }
  const addresses = own(state.addresses, nic.name) ?? [];
  if (!addresses.includes(want)) {
    problems.push(`${node.name}: ${nic.name} has ${addresses.filter((a) => !a.startsWith('fe80:')).join(', ') || 'no address'}, not ${want}; add it (sudo ip addr add ${want} dev ${nic.name}) or run a lab whose addresses your hosts have`);
  }
  if (link.mtu !== nic.mtu) problems.push(`${node.name}: ${nic.name} has MTU ${link.mtu}, not ${nic.mtu}; set it (sudo ip link set dev ${nic.name} mtu ${nic.mtu})`);
  if (!link.up) problems.push(`${node.name}: ${nic.name} is down; bring it up (sudo ip link set dev ${nic.name} up)`);
  for (const dev of changes?.interfaces ?? []) {
    if (own(state.links, dev)) problems.push(`${node.name} already has a device ${dev}, which the steps create; remove it (sudo ip link del ${dev}), or ${cleanHint} if a run of vxlab left it`);
  }
  for (const ns of changes?.namespaces ?? []) {
    if (state.namespaces.includes(ns)) problems.push(`${node.name} already has a guest namespace ${ns}, which the steps create; remove it (sudo ip netns del ${ns}), or ${cleanHint} if a run of vxlab left it`);
  }
  return problems;
}

/** The programs scenarios and vxlab's checks run, with the Debian package that has each. */
const PACKAGES: Record<string, string> = { ip: 'iproute2', bridge: 'iproute2', tc: 'iproute2', ping: 'iputils-ping', tcpdump: 'tcpdump', sysctl: 'procps' };

/** Programs missing on the host, and whether sudo works there (when the hosts file asks for it). */
export async function programProblems(conn: SshConnection): Promise<string[]> {
  const programs = [...ALLOWED_PROGRAMS, 'sh', 'env', 'kill', 'cat', 'rm', 'mkdir'];
  const r = await hostCommand(conn, ['sh', '-c', 'for p; do command -v "$p" >/dev/null 2>&1 || echo "$p"; done', 'vxlab', ...programs], undefined, 30_000);
  const node = conn.host.node;
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().split('\n')[0] ?? `exit ${r.exitCode}`;
    if (conn.host.sudo && /sudo/.test(why)) return [`${node}: sudo -n does not work for ${conn.destination} (${why}); allow that user passwordless sudo, or connect as root`];
    return [`${node}: cannot run commands on ${conn.destination}: ${why}`];
  }
  const missing = r.stdout.split('\n').filter(Boolean);
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map((p) => PACKAGES[p] ?? 'coreutils'))];
  return [`${node} lacks ${missing.join(', ')}; install ${packages.join(' ')} there (Debian: sudo apt-get install ${packages.join(' ')})`];
}
