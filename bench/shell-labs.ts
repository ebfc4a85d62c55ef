// The bench's baselines, as bash scripts run by root with named namespaces of their own (each
// name carries the bench's PID, and `cleanup` removes them, also when the bench is interrupted):
// the same lab as a vxlab run (a switch namespace with bridge br0, one namespace per node with a
// veth enp0s8 on it, and a multicast vxlan0 in VNI 42 with an overlay address on every node),
//   - `batchBuild`: `ip -n NS -batch -`, one ip process per namespace: the floor;
//   - `tutorialBuild`: one `ip` process per command, as the tutorial is typed;
//   - `multicastScript`: the tutorial build, the multicast scenario's three pings
//     (`ping -c 3 -i 0.01`), and deleting it all: the baseline for `npm run lab multicast`.
import { execArgv } from '../harness/util/process.ts';

export interface ShellLab {
  /** Namespaces: the switch, then the nodes. */
  names: string[];
  build: string;
  teardown: string;
}

let serial = 0;

function namesFor(nodes: number): { sw: string; node: (i: number) => string; all: string[] } {
  const base = `vxb${process.pid}-${serial++}`;
  const node = (i: number) => `${base}-n${i}`;
  return { sw: `${base}-sw`, node, all: [`${base}-sw`, ...Array.from({ length: nodes }, (_, i) => node(i))] };
}

/** The underlay address of node i: 192.168.8.100 on, across /16 blocks when many nodes. */
const underlay = (i: number) => `192.168.${8 + Math.floor((100 + i) / 256)}.${(100 + i) % 256}`;
const overlay = (i: number) => `10.20.${1 + Math.floor((2 + i) / 256)}.${(2 + i) % 256}`;

/** What each namespace's ip runs, as lines of `ip -batch`. */
function plan(nodes: number, n: ReturnType<typeof namesFor>): Map<string, string[]> {
  const lines = new Map<string, string[]>([[n.sw, ['link add br0 type bridge mcast_snooping 0', 'link set dev br0 up']]]);
  for (let i = 0; i < nodes; i++) {
    lines.get(n.sw)!.push(`link set dev p${i} master br0 up`);
    lines.set(n.node(i), [
      `link set dev lo up`,
      `addr add ${underlay(i)}/16 dev enp0s8`,
      'link set dev enp0s8 up',
      'link add vxlan0 type vxlan id 42 dstport 4789 group 239.1.1.1 dev enp0s8',
      `addr add ${overlay(i)}/16 dev vxlan0`,
      'link set vxlan0 up',
    ]);
  }
  return lines;
}

function namespaces(n: ReturnType<typeof namesFor>, nodes: number): string {
  // The veths are made in the switch and moved: the ip that makes them must see both namespaces.
  const veths = Array.from({ length: nodes }, (_, i) => `ip -n ${n.sw} link add p${i} type veth peer name enp0s8 netns ${n.node(i)}`);
  return [...n.all.map((ns) => `ip netns add ${ns}`), ...veths].join('\n');
}

const teardownOf = (n: ReturnType<typeof namesFor>) => n.all.map((ns) => `ip netns del ${ns} 2>/dev/null`).join('\n');

export function batchBuild(nodes: number): ShellLab {
  const n = namesFor(nodes);
  const batches = [...plan(nodes, n)].map(([ns, lines]) => `ip -n ${ns} -batch - <<'EOF' &\n${lines.join('\n')}\nEOF`);
  // The switch's ports need their veths first (made with the namespaces), then all run at once.
  return { names: n.all, build: `set -e\n${namespaces(n, nodes)}\n${batches.join('\n')}\nwait`, teardown: teardownOf(n) };
}

export function tutorialBuild(nodes: number): ShellLab {
  const n = namesFor(nodes);
  const commands = [...plan(nodes, n)].flatMap(([ns, lines]) => lines.map((l) => `ip -n ${ns} ${l}`));
  return { names: n.all, build: `set -e\n${namespaces(n, nodes)}\n${commands.join('\n')}`, teardown: teardownOf(n) };
}

/** The multicast scenario by hand: build, its three pings (node0→node1, node0→node2, node2→node1), delete. */
export function multicastScript(): string {
  const lab = tutorialBuild(3);
  const node = (i: number) => lab.names[i + 1]!;
  const pings = [[0, 1], [0, 2], [2, 1]].map(([from, to]) => `ip netns exec ${node(from!)} ping -n -q -c 3 -i 0.01 ${overlay(to!)} >/dev/null`);
  return `trap '${lab.teardown.replace(/\n/g, '; ')}' EXIT\n${lab.build}\n${pings.join('\n')}`;
}

/** Runs a bash script; a failure is an error with its output (the bench must not time a broken build). */
export async function bash(script: string): Promise<number> {
  const started = performance.now();
  const r = await execArgv(['bash', '-c', script], { timeoutMs: 120_000 });
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`a bench script failed (exit code ${r.exitCode}): ${r.stderr.trim()}`);
  return ms;
}
