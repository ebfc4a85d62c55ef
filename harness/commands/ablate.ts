// `ablate NAME`: runs the scenario as written, then once without each command (or step), each
// on a fresh lab, and hands the verdicts to the pure analysis (ablate/plan.ts). Runs go `jobs`
// at a time: the netns backend builds any number of labs side by side.
import type { Backend } from '../backends/types.ts';
import type { Scenario } from '../lab/model.ts';
import type { RunEvent } from '../report/events.ts';
import { runScenario } from '../runner.ts';
import { newRunId } from '../util/run-id.ts';
import { ablationUnits, analyse, withoutUnit, type AblateBy, type AblationAnalysis, type RunResult, type Verdict } from '../ablate/plan.ts';
import { mapConcurrently } from '../util/concurrency.ts';

export interface AblateOptions {
  backend: Backend;
  by: AblateBy;
  jobs: number;
  signal?: AbortSignal;
  /** Told as each run ends (progress on stderr). */
  progress?: (text: string) => void;
}

/** One run of a (possibly ablated) scenario on a fresh lab; failing commands are skipped and noted. */
async function runOnce(scenario: Scenario, options: AblateOptions): Promise<RunResult> {
  const verdicts: Verdict[] = [];
  const result: RunResult = { verdicts, skipped: [] };
  const emit = (event: RunEvent) => {
    if (event.type === 'check') verdicts[event.number - 1] = event.outcome.status;
    if (event.type === 'command-skipped') result.skipped.push({ node: event.node, at: event.at, command: event.command, output: event.output });
    if (event.type === 'lab-error') result.error = [event.error.message, event.error.command, event.error.output].filter(Boolean).join(': ');
  };
  await runScenario(scenario, { backend: options.backend, runId: newRunId(), emit, skipFailingCommands: true, ...(options.signal ? { signal: options.signal } : {}) });
  options.signal?.throwIfAborted();
  return result;
}

/** Ablates each scenario; all their runs share one pool of `jobs` labs, so small scenarios overlap. */
export async function ablateAll(scenarios: Scenario[], options: AblateOptions): Promise<AblationAnalysis[]> {
  const plans = scenarios.map((scenario) => ({ scenario, units: ablationUnits(scenario, options.by) }));
  const tasks = plans.flatMap(({ scenario, units }) => [
    () => runOnce(scenario, options).then((r) => (options.progress?.(`ran ${scenario.name} as written\n`), r)),
    ...units.map((unit) => () => runOnce(withoutUnit(scenario, unit), options).then((r) => (options.progress?.(`ran ${scenario.name} without ${unit.id}\n`), r))),
  ]);
  const results = await mapConcurrently(tasks, options.jobs, (task) => task());
  let next = 0;
  return plans.map(({ scenario, units }) => {
    const [baseline, ...runs] = results.slice(next, (next += units.length + 1));
    return analyse(scenario, options.by, baseline!, units.map((unit, i) => ({ unit, result: runs[i]! })));
  });
}

export async function ablate(scenario: Scenario, options: AblateOptions): Promise<AblationAnalysis> {
  return (await ablateAll([scenario], options))[0]!;
}
