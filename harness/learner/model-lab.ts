// Learns the model answer by running the scenario's steps one command at a time on a lab of its
// own (the same backend, a run id of its own), reading the node after each, then tearing it down.
import type { Backend, StartedLab } from '../backends/types.ts';
import { readNodeState } from '../commands/step.ts';
import { nodeNeeds, withMacPins } from '../lab/compile.ts';
import { nodeOf, type Scenario } from '../lab/model.ts';
import { newRunId } from '../util/run-id.ts';
import { factsBetween, keyState, surviving, type CommandEffects } from './model-answer.ts';

/** MACs written in the steps themselves: entries naming them are the tutorial's, not traffic's. */
export function literalMacs(scenario: Scenario): Set<string> {
  const macs = new Set<string>();
  for (const step of scenario.steps) for (const c of step.commands) for (const m of c.text.toLowerCase().match(/[0-9a-f]{2}(:[0-9a-f]{2}){5}/g) ?? []) macs.add(m);
  for (const node of scenario.lab.nodes) for (const m of Object.values(node.macs)) macs.add(m.toLowerCase());
  return macs;
}

export async function learnModelAnswer(scenario: Scenario, backend: Backend, signal?: AbortSignal): Promise<CommandEffects[]> {
  const macs = literalMacs(scenario);
  const lab: StartedLab = await backend.up(scenario.lab, { runId: newRunId(), nodeNeeds: nodeNeeds(scenario), ...(signal ? { signal } : {}) });
  await using _down = lab;
  const opts = signal ? { signal } : {};
  const effects: CommandEffects[] = [];
  const last = new Map<string, ReturnType<typeof keyState>>();
  for (const step of scenario.steps) {
    const node = lab.node(step.node);
    let before = last.get(step.node) ?? keyState(await readNodeState(node, signal), macs);
    for (const command of withMacPins(step.commands, nodeOf(scenario.lab, step.node).macs)) {
      const result = await node.exec(command.argv, { timeoutMs: step.timeoutMs, ...opts });
      if (result.exitCode !== 0) throw new Error(`the model answer failed on ${step.node}: \`${command.text}\`: ${result.stderr.trim()}`);
      const after = keyState(await readNodeState(node, signal), macs);
      const addedBy = command.origin.startsWith('lab:') ? command.origin.slice(4).trim() : undefined;
      effects.push({ node: step.node, command: command.text, ...(addedBy ? { addedBy } : {}), facts: factsBetween(step.node, before, after) });
      before = after;
    }
    last.set(step.node, before);
  }
  // Keep what still holds at the end, read once more per node (a later command may undo an earlier one's effect).
  const final = new Map<string, ReturnType<typeof keyState>>();
  for (const name of new Set(scenario.steps.map((s) => s.node))) final.set(name, keyState(await readNodeState(lab.node(name), signal), macs));
  return effects.map((e) => ({ ...e, facts: surviving(e.facts, final.get(e.node)!) }));
}

/** Reads the learner's lab, keyed the same way, for every node the steps touch. */
export async function readLearnerLab(scenario: Scenario, lab: StartedLab, signal?: AbortSignal): Promise<Map<string, ReturnType<typeof keyState>>> {
  const macs = literalMacs(scenario);
  const observed = new Map<string, ReturnType<typeof keyState>>();
  for (const name of new Set(scenario.steps.map((s) => s.node))) observed.set(name, keyState(await readNodeState(lab.node(name), signal), macs));
  return observed;
}
