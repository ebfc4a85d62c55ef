// Compiles a scenario's steps into what each node runs: consecutive `ip` (or `bridge`) commands
// become one `ip -batch -` process, which is several times faster than one process each.
import type { Command, Scenario, Step } from './model.ts';
import { ipObject } from './iproute2.ts';
import { nodeOf } from './model.ts';

export type Batch =
  | { kind: 'batch'; program: 'ip' | 'bridge'; argv: string[]; input: string; commands: Command[] }
  | { kind: 'single'; command: Command };

export interface CompiledStep {
  step: Step;
  batches: Batch[];
}

/** Interfaces that `ip link add ...` creates in the node itself (not inside a nested namespace). */
export function createdInterfaces(argv: readonly string[]): string[] {
  if (argv[0] !== 'ip' || ipObject(argv[1]) !== 'link' || argv[2] !== 'add') return [];
  const names: string[] = [];
  let i = 3;
  let main: string | undefined;
  for (; i < argv.length && argv[i] !== 'type'; i++) {
    const word = argv[i]!;
    if (word === 'link' || word === 'address' || word === 'mtu' || word === 'txqueuelen' || word === 'numtxqueues' || word === 'numrxqueues') i++;
    else if (word === 'name' || word === 'dev') main = argv[++i];
    else if (main === undefined && !word.startsWith('-')) main = word;
  }
  if (main) names.push(main);
  // A veth's peer: `... type veth peer name veth1` or `peer veth1`.
  const peer = argv.indexOf('peer', i);
  if (peer >= 0) {
    const next = argv[peer + 1];
    const name = next === 'name' ? argv[peer + 2] : next;
    const movesAway = argv.slice(peer).includes('netns');
    if (name && !movesAway) names.push(name);
  }
  return names;
}

/** Inserts `ip link set dev NAME address MAC` right after the command that creates NAME. */
export function withMacPins(commands: readonly Command[], macs: Readonly<Record<string, string>>): Command[] {
  const out: Command[] = [];
  for (const command of commands) {
    out.push(command);
    for (const name of createdInterfaces(command.argv)) {
      const mac = macs[name];
      if (mac) {
        const argv = ['ip', 'link', 'set', 'dev', name, 'address', mac];
        out.push({ text: argv.join(' '), argv, origin: `lab: pin ${name}'s MAC address` });
      }
    }
  }
  return out;
}

const BATCH_SAFE = /^[^\s"'#\\]+$/;

function batchProgram(argv: readonly string[]): 'ip' | 'bridge' | undefined {
  const program = argv[0];
  if (program !== 'ip' && program !== 'bridge') return undefined;
  // Global options (-n NS, -j) change the whole process, so such commands run on their own.
  if (argv.length < 2 || argv[1]!.startsWith('-')) return undefined;
  return argv.slice(1).every((a) => BATCH_SAFE.test(a)) ? program : undefined;
}

export function batchCommands(commands: readonly Command[]): Batch[] {
  const batches: Batch[] = [];
  for (const command of commands) {
    const program = batchProgram(command.argv);
    const last = batches.at(-1);
    if (program && last?.kind === 'batch' && last.program === program) {
      last.commands.push(command);
      last.input += `${command.argv.slice(1).join(' ')}\n`;
    } else if (program) {
      batches.push({ kind: 'batch', program, argv: [program, '-batch', '-'], input: `${command.argv.slice(1).join(' ')}\n`, commands: [command] });
    } else {
      batches.push({ kind: 'single', command });
    }
  }
  // A batch of one is just a slower single command.
  return batches.map((b) => (b.kind === 'batch' && b.commands.length === 1 ? { kind: 'single', command: b.commands[0]! } : b));
}

/** Which command of a failed batch failed, from iproute2's `Command failed -:N`. */
export function failedBatchLine(stderr: string): number | undefined {
  const match = /Command failed -:(\d+)/.exec(stderr);
  return match ? Number(match[1]) : undefined;
}

export function compileSteps(scenario: Scenario): CompiledStep[] {
  return scenario.steps.map((step) => ({
    step,
    batches: batchCommands(withMacPins(step.commands, nodeOf(scenario.lab, step.node).macs)),
  }));
}

/** Does this command make, enter or use a guest namespace (`ip netns ...`, `ip -n NS ...`, `... netns NS`)? */
export function usesGuestNamespace(argv: readonly string[]): boolean {
  return argv[0] === 'ip' && argv.some((word) => word === 'netns' || word === '-n' || word === '-netns');
}

/** Does this command write a sysctl (`sysctl -w key=value`, or `sysctl key=value`)? */
export function writesSysctl(argv: readonly string[]): boolean {
  return argv[0] === 'sysctl' && argv.slice(1).some((word) => word === '-w' || (!word.startsWith('-') && word.includes('=')));
}

/** What a node's commands need beyond plain networking, which a container must be allowed. */
export interface NodeNeeds {
  guestNamespaces: boolean;
  sysctlWrites: boolean;
}

/** Each node's needs, from its steps, its checks and the actions during captures. */
export function nodeNeeds(scenario: Scenario): Map<string, NodeNeeds> {
  const needs = new Map(scenario.lab.nodes.map((n) => [n.name, { guestNamespaces: false, sysctlWrites: false }]));
  const note = (node: string, commands: readonly Command[]) => {
    const n = needs.get(node)!;
    n.guestNamespaces ||= commands.some((c) => usesGuestNamespace(c.argv));
    n.sysctlWrites ||= commands.some((c) => writesSysctl(c.argv));
  };
  const inNetns = (node: string, netns: string | undefined) => {
    if (netns) needs.get(node)!.guestNamespaces = true;
  };
  for (const step of scenario.steps) note(step.node, step.commands);
  for (const check of scenario.checks) {
    if (check.kind === 'ping') inNetns(check.spec.from, check.spec.netns);
    if (check.kind === 'state') inNetns(check.spec.node, check.spec.netns);
    if (check.kind !== 'capture') continue;
    for (const action of check.during) {
      if (action.kind === 'ping') inNetns(action.spec.from, action.spec.netns);
      else note(action.node, action.commands);
    }
  }
  return needs;
}
