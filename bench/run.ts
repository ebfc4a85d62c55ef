// `npm run bench`: how long each phase of each scenario takes on a backend (netns unless
// BENCH_BACKEND says otherwise), as medians over several runs. Speed targets belong here, never
// in timed tests.
import { createBackend } from '../harness/backends/registry.ts';
import type { RunEvent } from '../harness/report/events.ts';
import { runScenarios } from '../harness/runner.ts';
import { listScenarioNames, loadLab, loadScenario } from '../harness/scenario/resolve.ts';
import { newRunId } from '../harness/util/run-id.ts';
import { phaseTimes, median, type PhaseTimes } from './phases.ts';
import { upUnsandboxed } from './unsandboxed-lab.ts';

const runs = Number(process.env.BENCH_RUNS ?? 5);
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : await listScenarioNames();
const backend = await createBackend(process.env.BENCH_BACKEND ?? 'netns');
await backend.checkPrerequisites();
process.stdout.write(`${backend.name} backend\n`);

const rows: string[][] = [['scenario', 'runs', 'lab up', 'steps', 'checks', 'teardown', 'total']];
for (const name of names) {
  const scenario = await loadScenario(name);
  const samples: PhaseTimes[] = [];
  for (let i = 0; i < runs; i++) {
    const events: { at: number; event: RunEvent }[] = [];
    const started = performance.now();
    await runScenarios([scenario], { backend, runId: newRunId(), emit: (event) => events.push({ at: performance.now() - started, event }) });
    samples.push(phaseTimes(events, performance.now() - started));
  }
  const ms = (pick: (p: PhaseTimes) => number) => `${median(samples.map(pick)).toFixed(1)} ms`;
  rows.push([name, String(runs), ms((p) => p.labUp), ms((p) => p.steps), ms((p) => p.checks), ms((p) => p.teardown), ms((p) => p.total)]);
}

// The sandbox's cost (issue 10: at most 20% slower up than before): lab up and down on netns,
// sandboxed against the unsandboxed baseline, measured alternately in this same run.
if (backend.name === 'netns') {
  rows.push(['', '', '', '', '', '', '']);
  rows.push(['lab (up + down)', 'runs', 'sandboxed', 'unsandboxed', 'ratio', '', '']);
  for (const labName of ['three-nodes', 'two-vms']) {
    const lab = await loadLab(labName);
    const sandboxed: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs * 2; i++) {
      let started = performance.now();
      const up = await backend.up(lab, { runId: newRunId() });
      await up.down();
      sandboxed.push(performance.now() - started);
      started = performance.now();
      const down = await upUnsandboxed(lab);
      await down();
      bare.push(performance.now() - started);
    }
    const [a, b] = [median(sandboxed), median(bare)];
    rows.push([labName, String(runs * 2), `${a.toFixed(1)} ms`, `${b.toFixed(1)} ms`, `${(a / b).toFixed(2)}x`, '', '']);
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) process.stdout.write(`${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}\n`.trimEnd() + '\n');
