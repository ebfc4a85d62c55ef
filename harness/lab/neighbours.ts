// How many IPv4 neighbour (ARP) entries a scenario makes the kernel hold at once. The kernel's
// table is one for every namespace of the machine, capped at gc_thresh3 (1024 by default): past
// it, new entries fail ("neighbour table overflow") and pings go unanswered.
import type { Command, Scenario } from './model.ts';

export interface NeighbourDemand {
  /** Distinct (node, address) pairs the checks ping. */
  pairs: number;
  entries: number;
}

const argvOf = (c: Command) => c.argv;

/** `ip addr add A/N ...` on a node: who owns which overlay address. */
function ownersOf(scenario: Scenario): Map<string, string> {
  const owners = new Map<string, string>();
  for (const step of scenario.steps) {
    for (const argv of step.commands.map(argvOf)) {
      if (argv[0] === 'ip' && /^a(d(dr?)?)?$|^address$/.test(argv[1] ?? '') && argv[2] === 'add' && argv[3]) owners.set(argv[3].split('/')[0]!, step.node);
    }
  }
  return owners;
}

/** Does a step of this node turn IPv6 off on `dev` (so its VTEP sends no multicast of its own)? */
function ipv6Off(scenario: Scenario, node: string, dev: string): boolean {
  return scenario.steps.some((s) => s.node === node && s.commands.some((c) => c.argv[0] === 'sysctl' && c.argv.some((a) => a.replace(/\//g, '.') === `net.ipv6.conf.${dev}.disable_ipv6=1`)));
}

/**
 * An estimate of the entries one scenario holds, as a set of (node, address) keys:
 * - each ping between two nodes: both ends' overlay entries and both VTEPs' underlay entries
 *   (a target no step assigns counts for its pinger only);
 * - each all-zeros FDB entry (head-end replication): the VTEP's IPv6 multicast of its own (router
 *   solicitations, MLD) is copied to every such peer at once, which needs the peer's underlay
 *   entry, unless IPv6 is off on that VTEP;
 * - each VTEP in a multicast group: a NOARP entry for the group and one for 224.0.0.22 (IGMPv3).
 * Measured here: scale-multicast-100 held about 570 entries (estimate 596); scale-her-30 with IPv6
 * left on peaked at 1036 and overflowed.
 */
export function neighbourDemand(scenario: Scenario): NeighbourDemand {
  const underlay = new Map(scenario.lab.nodes.map((n) => [n.name, n.nic.address]));
  const owners = ownersOf(scenario);
  const keys = new Set<string>();
  const pairs = new Set<string>();
  const ping = (from: string, netns: string | undefined, to: string) => {
    pairs.add(`${from}/${netns ?? ''}>${to}`);
    const owner = owners.get(to);
    if (!owner || netns) {
      keys.add(`${from}/${netns ?? ''}>${to}`);
      return;
    }
    keys.add(`${from}>overlay-of-${owner}`);
    keys.add(`${owner}>overlay-of-${from}`);
    keys.add(`${from}>${underlay.get(owner)}`);
    keys.add(`${owner}>${underlay.get(from)}`);
  };
  for (const check of scenario.checks) {
    if (check.kind === 'ping') ping(check.spec.from, check.spec.netns, check.spec.to);
    if (check.kind === 'pings') for (const s of check.specs) ping(s.from, s.netns, s.to);
    if (check.kind === 'capture') for (const a of check.during) if (a.kind === 'ping') ping(a.spec.from, a.spec.netns, a.spec.to);
  }
  for (const step of scenario.steps) {
    for (const argv of step.commands.map(argvOf)) {
      if (argv[0] === 'bridge' && argv.includes('00:00:00:00:00:00') && argv.includes('dst')) {
        const dev = argv[argv.indexOf('dev') + 1] ?? '';
        if (!ipv6Off(scenario, step.node, dev)) keys.add(`${step.node}>${argv[argv.indexOf('dst') + 1]}`);
      }
      if (argv[0] === 'ip' && argv.includes('group')) {
        keys.add(`${step.node}>${argv[argv.indexOf('group') + 1]}`);
        keys.add(`${step.node}>224.0.0.22`);
      }
    }
  }
  return { pairs: pairs.size, entries: keys.size };
}
