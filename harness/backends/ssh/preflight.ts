// Is each host ready to play its lab node? Reachable, its programs there, the lab's NIC with the
// lab's address and MTU, and nothing of what the steps create already present. Every problem
// says what differs and what to do; the backend turns them into one PrerequisiteError (exit 3).
import type { LabNode } from '../../lab/model.ts';
import { fdbEntryText, type NodeChanges } from '../../lab/node-changes.ts';
import { ALLOWED_PROGRAMS, coverageProblem, type GuardedAddress } from '../../policy/policy.ts';
import { HeldCommand, SSH_FAILED, type SshConnection } from './connection.ts';
import { CLAIM_WAIT, heldClaimScript } from './marker.ts';
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
  for (const entry of changes?.fdb ?? []) {
    // Only on a device the host has already: one the steps create starts with an empty FDB.
    const held = state.fdb.some((f) => f.mac.toLowerCase() === entry.mac && f.dev === entry.dev && f.dst === entry.dst && (entry.vlan === undefined || f.vlan === entry.vlan));
    if (held) {
      const text = fdbEntryText(entry);
      problems.push(`${node.name} already has the FDB entry ${text}, which the steps add; remove it (sudo bridge fdb del ${text}), or ${cleanHint} if a run of vxlab left it`);
    }
  }
  return problems;
}

/** The programs scenarios and vxlab's checks run, with the Debian package that has each. */
const PACKAGES: Record<string, string> = { ip: 'iproute2', bridge: 'iproute2', tc: 'iproute2', ping: 'iputils-ping', tcpdump: 'tcpdump', sysctl: 'procps' };

/** What preflight learns of a host beside its state: the ssh connection's two ends and gateway, and each device's altnames. */
export interface HostFacts {
  /** $SSH_CONNECTION's client and server addresses (empty if the host's sshd did not set it). */
  ends: string[];
  /** The gateway of the host's route back to the client end, when the connection is routed. */
  gateways: string[];
  /** altname -> the device that has it (iproute2 finds a device by an altname as by its name). */
  altnames: Map<string, string>;
  /** The kernel's boot_id and the network namespace's inode: the same on two nodes means one host (one /run/vxlab). */
  identity?: string;
}

// Read in the program check's round trip. Under sudo the environment is reset, so SSH_CONNECTION
// is taken from the nearest ancestor (the login's shell) that has it. The host's route back to the
// client end names the gateway a routed connection goes through (an IPv4-mapped end read as IPv4).
// ip -j writes its JSON on one line; files are read by the shell itself: few processes per host.
const FACTS_MARK = '--vxlab-facts';
export const FACTS_SCRIPT = `echo ${FACTS_MARK}; c=$SSH_CONNECTION; q=$$
while [ -z "$c" ] && [ "$q" -gt 1 ] 2>/dev/null; do c=$(tr '\\000' '\\n' < /proc/$q/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p'); set -- $(cat /proc/$q/stat 2>/dev/null); q=$4; done
echo "ssh-connection $c"; set -- $c; a=\${1#::ffff:}
printf 'ssh-route '; { [ -n "$a" ] && ip -j route get "$a" 2>/dev/null; } || echo
ip -j link show 2>/dev/null || echo
{ read -r b </proc/sys/kernel/random/boot_id; read -r n </etc/machine-id; } 2>/dev/null
echo "host-id $b $(stat -L -c %i /proc/self/ns/net 2>/dev/null) $n"`;

/** The JSON array on the line that starts with `prefix`; none when it is missing or unreadable. */
function jsonLine(lines: readonly string[], prefix: string): Record<string, unknown>[] {
  const text = lines.find((l) => l.startsWith(prefix))?.slice(prefix.length).trim();
  try {
    const value: unknown = text ? JSON.parse(text) : [];
    return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
  } catch {
    return [];
  }
}

/** What no route or address on a host may cover: the connection's ends and its gateway (pure). */
export const guardedOf = (facts: HostFacts): GuardedAddress[] => [
  ...facts.ends.map((address) => ({ address, role: 'end' as const })),
  ...facts.gateways.map((address) => ({ address, role: 'gateway' as const })),
];

/** Parses the facts part of the program check's output (pure). */
export function parseHostFacts(lines: readonly string[]): HostFacts {
  const connection = lines.find((l) => l.startsWith('ssh-connection '))?.slice('ssh-connection '.length).trim().split(/\s+/) ?? [];
  const ends = [connection[0], connection[2]].filter((e): e is string => e !== undefined && e !== '');
  const gateways = jsonLine(lines, 'ssh-route ').flatMap((r: { gateway?: unknown }) => (typeof r.gateway === 'string' ? [r.gateway] : []));
  const altnames = new Map<string, string>();
  const json = lines.find((l) => l.startsWith('['));
  try {
    for (const link of (json ? JSON.parse(json) : []) as { ifname?: string; altnames?: string[] }[]) {
      for (const alt of link.altnames ?? []) if (link.ifname) altnames.set(alt, link.ifname);
    }
  } catch {
    // An unreadable list names no altnames; the state read names the devices.
  }
  const id = lines.find((l) => l.startsWith('host-id '))?.slice('host-id '.length).trim().split(/\s+/) ?? [];
  // Both or nothing: a boot_id alone is shared by every namespace of one kernel.
  return { ends, gateways, altnames, ...(id[0] && id[1] ? { identity: `boot ${id[0]} netns ${id[1]}` } : {}) };
}

/** Nodes that preflight found on one host (same boot and network namespace): their markers and states would mix (pure). */
export function sharedHostProblems(identities: ReadonlyMap<string, { identity?: string; destination: string }>): string[] {
  const byHost = new Map<string, string[]>();
  for (const [node, { identity }] of identities) if (identity) byHost.set(identity, [...(byHost.get(identity) ?? []), node]);
  return [...byHost.values()].filter((nodes) => nodes.length > 1).map((nodes) =>
    `${nodes.join(' and ')} are one host (${nodes.map((n) => identities.get(n)!.destination).join(', ')}: one kernel boot and network namespace); each lab node needs a host of its own: map them to different hosts in the hosts file`);
}

const factsOf = new WeakMap<SshConnection, HostFacts>();

/** The host's facts, as preflight read them on this connection, else read now (one round trip). */
export async function hostFacts(conn: SshConnection): Promise<HostFacts> {
  const known = factsOf.get(conn);
  if (known) return known;
  const r = await hostCommand(conn, ['sh', '-c', FACTS_SCRIPT], undefined, 30_000);
  const facts = parseHostFacts(r.stdout.split('\n'));
  factsOf.set(conn, facts);
  return facts;
}

/** Problems the host's facts show for the steps (pure): a name they create that is an altname there, a route or address over the ssh connection. */
export function factProblems(node: string, changes: NodeChanges | undefined, facts: HostFacts, cleanHint: string, protect: readonly GuardedAddress[] = guardedOf(facts)): string[] {
  const problems: string[] = [];
  for (const dev of changes?.interfaces ?? []) {
    const owner = facts.altnames.get(dev);
    if (owner) problems.push(`${node}: ${owner} has the altname ${dev}, a device the steps create, so the steps would act on ${owner}; remove the altname (sudo ip link property del dev ${owner} altname ${dev}), or ${cleanHint} if a run of vxlab left it`);
  }
  // Fail closed: without the ends, nothing can tell a route that strands the host (OpenSSH's sshd always sets it).
  if (facts.ends.length === 0 && (changes?.addressing?.length ?? 0) > 0) {
    problems.push(`${node}: could not read $SSH_CONNECTION there, so vxlab cannot keep the steps' routes and addresses off the connection it reaches the host by; log in through OpenSSH's sshd (which sets it), with /proc readable by root`);
  }
  for (const argv of changes?.addressing ?? []) {
    const p = coverageProblem(argv, protect);
    if (p) problems.push(`${node}: step \`${argv.join(' ')}\` ${p.message.replace(/ On an ssh host.*$/, '')}; reach the host over an address outside the lab's routes, or change the step`);
  }
  return problems;
}

/** Between the programs' part of preflight's round trip and the script it runs after them. */
const MORE_MARK = '--vxlab-preflight-more';

/**
 * Programs missing on the host, and whether commands run there as root: through `sudo -n` when
 * the hosts file says so (it must not ask for a password), else as the login user itself. In the
 * same round trip: the host's facts, and `more` (a sh script: its stdout and exit status come
 * back in `more`, for preflight's state and marker reads). With `claimPath`, the round trip is
 * then held open for the run's claim (`held`: marker.ts claimHeld writes the marker there, or
 * ends it with nothing); it is given back only when the host has no problem.
 */
export async function programProblems(conn: SshConnection, more?: string, claimPath?: string): Promise<{ problems: string[]; more?: { stdout: string; status: number; stderr: string }; held?: HeldCommand }> {
  const programs = [...ALLOWED_PROGRAMS, 'sh', 'env', 'kill', 'cat', 'rm', 'mkdir', 'mv', 'head'];
  // One round trip: the effective uid first, then each program that is missing.
  const script = 'id -u 2>/dev/null || echo "?"; for p; do command -v "$p" >/dev/null 2>&1 || echo "$p"; done';
  const then = more === undefined ? '' : `; echo ${MORE_MARK}; ( ${more}
); echo "${MORE_MARK} $?"`;
  const argv = (claim: string) => ['sh', '-c', `${script}; ${FACTS_SCRIPT}${then}${claim}`, 'vxlab', ...programs];
  let held = claimPath === undefined ? undefined : new HeldCommand(conn, argv(`\n${heldClaimScript(claimPath)}`));
  let r: { exitCode: number | undefined; stdout: string; stderr: string };
  const before = await held?.until(CLAIM_WAIT, 30_000);
  if (held && before !== undefined) r = { exitCode: 0, stdout: before, stderr: held.stderrSoFar };
  else {
    // No hold asked for, or the held command ended before its claim (a lost connection is tried again, without the hold).
    const ended = held ? await held.finish() : undefined;
    held = undefined;
    r = ended && ended.exitCode !== SSH_FAILED ? ended : await hostCommand(conn, argv(''), undefined, 30_000);
  }
  const problems = programsOf(conn, r);
  if (more === undefined || problems.length > 0) {
    await held?.finish();
    return { problems };
  }
  const start = r.stdout.indexOf(`\n${MORE_MARK}\n`);
  const end = r.stdout.lastIndexOf(`\n${MORE_MARK} `);
  const status = Number(/^\d+/.exec(r.stdout.slice(end + MORE_MARK.length + 2))?.[0] ?? NaN);
  return { problems, more: { stdout: start >= 0 && end > start ? r.stdout.slice(start + MORE_MARK.length + 2, end) : '', status: Number.isNaN(status) ? 1 : status, stderr: r.stderr }, ...(held ? { held } : {}) };
}

/** programProblems' reading of the round trip's exit and its programs' part (the facts it caches). */
function programsOf(conn: SshConnection, r: { exitCode: number | undefined; stdout: string; stderr: string }): string[] {
  const node = conn.host.node;
  const user = conn.host.user ?? 'the login user';
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().split('\n')[0] || `exit ${r.exitCode}`;
    if (conn.host.sudo && /sudo/.test(why)) return [`${node}: \`sudo -n true\` failed on ${conn.destination} (${why}); give ${user} passwordless sudo there (a sudoers line such as \`${conn.host.user ?? 'USER'} ALL=(ALL) NOPASSWD: ALL\`), or log in as root`];
    return [`${node}: cannot run commands on ${conn.destination}: ${why}`];
  }
  const all = r.stdout.split('\n');
  const more = all.indexOf(MORE_MARK);
  const mark = all.indexOf(FACTS_MARK);
  if (mark >= 0) factsOf.set(conn, parseHostFacts(all.slice(mark + 1, more >= 0 ? more : undefined)));
  const [uid, ...missing] = (mark >= 0 ? all.slice(0, mark) : all).filter(Boolean);
  if (uid !== '0') {
    const how = conn.host.sudo ? 'sudo -n did not make them root; check the sudoers entry' : `set \`sudo: true\` for ${node} in the hosts file (${user} needs passwordless sudo there), or log in as root`;
    return [`${node}: commands on ${conn.destination} run as uid ${uid ?? '?'}, not root, and the steps need root; ${how}`];
  }
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map((p) => PACKAGES[p] ?? 'coreutils'))];
  return [`${node} lacks ${missing.join(', ')}; install ${packages.join(' ')} there (Debian: sudo apt-get install ${packages.join(' ')})`];
}
