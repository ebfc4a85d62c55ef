// `ablate`, the pure half: which runs to make (the scenario without one command, or one step),
// and what their results say (which checks each removal flips, which checks nothing flips).
// No I/O: commands/ablate.ts runs the plans and renders the analysis.
import type { Scenario, Step } from '../lab/model.ts';

export type AblateBy = 'command' | 'step';

/** What one run leaves out: one command of a step, or a whole step, on every node a template wrote it for. */
export interface AblationUnit {
  /** `2.3` (step 2, command 3) or `2` (step 2): the first of its members. */
  id: string;
  step: number;
  /** The command's index in its step; absent when the whole step is left out. */
  command?: number;
  /** The node, or `N nodes` when a `forEach: node` template wrote it for several. */
  node: string;
  /** The command as typed, or the step's commands joined with `; ` (the first member's). */
  text: string;
  /** Every step (and command) left out: one, or one per node of a template. */
  members: { step: number; command?: number }[];
}

/** Where in the scenario file a command was written (`steps[0].run[1]`), whichever node a template expanded it for. */
const writtenAt = (origin: string) => origin.replace(/ \(.*$/s, '');

export function ablationUnits(scenario: Scenario, by: AblateBy): AblationUnit[] {
  const groups = new Map<string, { step: Step; command?: number }[]>();
  for (const step of scenario.steps) {
    const members: { step: Step; command?: number }[] = by === 'step' ? [{ step }] : step.commands.map((_, j) => ({ step, command: j }));
    for (const m of members) {
      const origin = writtenAt(step.commands[m.command ?? 0]?.origin ?? `step ${step.index}`);
      const key = by === 'step' ? origin.replace(/\.run\[\d+\]$/, '') : origin;
      groups.set(key, [...(groups.get(key) ?? []), m]);
    }
  }
  return [...groups.values()].map((members) => {
    const { step, command } = members[0]!;
    const nodes = new Set(members.map((m) => m.step.node));
    const text = command === undefined ? step.commands.map((c) => c.text).join('; ') : step.commands[command]!.text;
    return {
      id: command === undefined ? `${step.index + 1}` : `${step.index + 1}.${command + 1}`,
      step: step.index,
      ...(command !== undefined ? { command } : {}),
      node: nodes.size > 1 ? `${nodes.size} nodes` : step.node,
      text: nodes.size > 1 ? `${text} (and the same on each of the other ${nodes.size - 1} nodes)` : text,
      members: members.map((m) => ({ step: m.step.index, ...(m.command !== undefined ? { command: m.command } : {}) })),
    };
  });
}

/** The scenario without the unit's commands or steps (an emptied step stays, with nothing to run). */
export function withoutUnit(scenario: Scenario, unit: AblationUnit): Scenario {
  return {
    ...scenario,
    steps: scenario.steps.map((step) => {
      const mine = unit.members.filter((m) => m.step === step.index);
      if (mine.length === 0) return step;
      return { ...step, commands: mine.some((m) => m.command === undefined) ? [] : step.commands.filter((_, j) => !mine.some((m) => m.command === j)) };
    }),
  };
}

export type Verdict = 'pass' | 'fail' | 'skip';

/** A command that failed in an ablated run and was skipped (it needed what was left out). */
export interface SkippedCommand {
  node: string;
  at: string;
  command: string;
  output: string;
}

/** Skipped commands grouped by where they were written: a template's copies are one line, not one per node and peer. */
export function skippedByOrigin(skipped: readonly SkippedCommand[]): { at: string; count: number; first: SkippedCommand }[] {
  const groups = new Map<string, { at: string; count: number; first: SkippedCommand }>();
  for (const s of skipped) {
    const at = writtenAt(s.at);
    const group = groups.get(at);
    if (group) group.count += 1;
    else groups.set(at, { at, count: 1, first: s });
  }
  return [...groups.values()];
}

/** What one run of the scenario showed: each check's verdict, by check number - 1. */
export interface RunResult {
  verdicts: Verdict[];
  skipped: SkippedCommand[];
  /** Set when the lab could not even be built, or a check did not report. */
  error?: string;
}

export interface AblationResult extends RunResult {
  unit: AblationUnit;
  /** Check numbers (1-based) that passed in the baseline and did not here. */
  flips: number[];
}

export interface CheckVerdict {
  number: number;
  name: string;
  /** The units whose removal flips the check. */
  causes: string[];
  /** `ablation: none` reason, when the scenario says the check depends on no step. */
  ablationNone?: string;
  /** Flips under no ablation and is not marked `ablation: none`. */
  vacuous: boolean;
}

export interface AblationAnalysis {
  scenario: string;
  by: AblateBy;
  /** Why the analysis cannot be trusted at all (a baseline check failed, a run broke). */
  problems: string[];
  ablations: AblationResult[];
  checks: CheckVerdict[];
  /** No problem and no vacuous check. */
  ok: boolean;
}

export function analyse(scenario: Scenario, by: AblateBy, baseline: RunResult, runs: { unit: AblationUnit; result: RunResult }[]): AblationAnalysis {
  const problems: string[] = [];
  if (baseline.error) problems.push(`the scenario as written did not run: ${baseline.error}`);
  for (const s of baseline.skipped) problems.push(`the scenario as written has a failing command: ${s.node} ${s.at} \`${s.command}\`: ${s.output}`);
  scenario.checks.forEach((check, i) => {
    if (!baseline.error && baseline.verdicts[i] !== 'pass') problems.push(`check ${i + 1} (${check.name}) does not pass on the scenario as written (${baseline.verdicts[i] ?? 'not run'})`);
  });
  const ablations: AblationResult[] = runs.map(({ unit, result }) => {
    if (result.error) problems.push(`without ${unit.id} (\`${unit.text}\`) the run broke: ${result.error}`);
    const flips = scenario.checks.flatMap((_, i) => (baseline.verdicts[i] === 'pass' && result.verdicts[i] !== 'pass' ? [i + 1] : []));
    return { unit, ...result, flips };
  });
  const checks: CheckVerdict[] = scenario.checks.map((check, i) => {
    const causes = ablations.filter((a) => a.flips.includes(i + 1)).map((a) => a.unit.id);
    return {
      number: i + 1,
      name: check.name,
      causes,
      ...(check.ablationNone !== undefined ? { ablationNone: check.ablationNone } : {}),
      vacuous: causes.length === 0 && check.ablationNone === undefined,
    };
  });
  return { scenario: scenario.name, by, problems, ablations, checks, ok: problems.length === 0 && checks.every((c) => !c.vacuous) };
}
