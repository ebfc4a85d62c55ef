// Compiles a scenario's steps into what each node runs: consecutive `ip` (or `bridge`) commands
// become one `ip -batch -` process, which is several times faster than one process each.
import type { Command, Scenario, Step } from './model.ts';
import { batchArgv, batchLine, commandFacts } from '../policy/policy.ts';
import { nodeOf } from './model.ts';

export type Batch =
  | { kind: 'batch'; program: 'ip' | 'bridge'; argv: string[]; input: string; commands: Command[] }
  | { kind: 'single'; command: Command };

export interface CompiledStep {
  step: Step;
  batches: Batch[];
}

/** Inserts `ip link set dev NAME address MAC` right after the command that creates NAME. */
export function withMacPins(commands: readonly Command[], macs: Readonly<Record<string, string>>): Command[] {
  const out: Command[] = [];
  for (const command of commands) {
    out.push(command);
    for (const name of commandFacts(command.argv).createdInterfaces) {
      const mac = macs[name];
      if (mac) {
        const argv = ['ip', 'link', 'set', 'dev', name, 'address', mac];
        out.push({ text: argv.join(' '), argv, origin: `lab: pin ${name}'s MAC address` });
      }
    }
  }
  return out;
}

export function batchCommands(commands: readonly Command[]): Batch[] {
  const batches: Batch[] = [];
  for (const command of commands) {
    const batched = batchLine(command.argv);
    const last = batches.at(-1);
    if (batched && last?.kind === 'batch' && last.program === batched.program) {
      last.commands.push(command);
      last.input += `${batched.line}\n`;
    } else if (batched) {
      batches.push({ kind: 'batch', program: batched.program, argv: batchArgv(batched.program), input: `${batched.line}\n`, commands: [command] });
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

/** `batch: false` runs every command on its own (`ablate` skips the ones that fail). */
export function compileSteps(scenario: Scenario, options: { batch?: boolean } = {}): CompiledStep[] {
  return scenario.steps.map((step) => {
    const commands = withMacPins(step.commands, nodeOf(scenario.lab, step.node).macs);
    return { step, batches: options.batch === false ? commands.map((command) => ({ kind: 'single', command })) : batchCommands(commands) };
  });
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
    for (const facts of commands.map((c) => commandFacts(c.argv))) {
      n.guestNamespaces ||= facts.usesGuestNamespace;
      n.sysctlWrites ||= facts.writesSysctl;
    }
  };
  const inNetns = (node: string, netns: string | undefined) => {
    if (netns) needs.get(node)!.guestNamespaces = true;
  };
  for (const step of scenario.steps) note(step.node, step.commands);
  for (const check of scenario.checks) {
    if (check.kind === 'ping') inNetns(check.spec.from, check.spec.netns);
    if (check.kind === 'pings') for (const spec of check.specs) inNetns(spec.from, spec.netns);
    if (check.kind === 'state') inNetns(check.spec.node, check.spec.netns);
    if (check.kind !== 'capture') continue;
    for (const action of check.during) {
      if (action.kind === 'ping') inNetns(action.spec.from, action.spec.netns);
      else note(action.node, action.commands);
    }
  }
  return needs;
}
