// Lab build times by size, for `npm run bench`'s `build` rows: vxlab (the netns backend's lab up
// plus the multicast scenario's steps) beside the `ip -batch` floor and the tutorial typed as a
// script (bench/shell-labs.ts), the three measured in turn, each figure a median.
// This version builds the three-node lab only; sizes it cannot build yet are left out. The
// N-node work (issue 12, "Labs of any size") provides the other sizes behind the same function.
import { execFileSync } from 'node:child_process';
import { createBackend } from '../harness/backends/registry.ts';
import { compileSteps } from '../harness/lab/compile.ts';
import { loadScenario } from '../harness/scenario/resolve.ts';
import { newRunId } from '../harness/util/run-id.ts';
import { median } from './phases.ts';
import { bash, batchBuild, tutorialBuild, type ShellLab } from './shell-labs.ts';

export interface BuildRow {
  nodes: number;
  harness_ms: number;
  batch_ms: number;
  tutorial_ms: number;
}

/** Namespaces a baseline made and has not deleted yet: removed on the way out, whatever the way. */
const pending = new Set<string>();
function removePending(): void {
  for (const ns of pending) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  pending.clear();
}
process.once('exit', removePending);

async function timeShell(lab: ShellLab): Promise<number> {
  for (const ns of lab.names) pending.add(ns);
  try {
    return await bash(lab.build);
  } finally {
    await bash(lab.teardown).catch(() => undefined);
    for (const ns of lab.names) pending.delete(ns);
  }
}

async function timeHarness(): Promise<number> {
  const backend = await createBackend('netns');
  const scenario = await loadScenario('multicast');
  const started = performance.now();
  await using lab = await backend.up(scenario.lab, { runId: newRunId() });
  for (const { step, batches } of compileSteps(scenario)) {
    for (const batch of batches) {
      const r = await lab.node(step.node).exec(batch.kind === 'batch' ? batch.argv : batch.command.argv, batch.kind === 'batch' ? { input: batch.input } : {});
      if (r.exitCode !== 0) throw new Error(`the multicast steps failed on ${step.node}: ${r.stderr.trim()}`);
    }
  }
  return performance.now() - started;
}

export async function measureBuilds(sizes: number[], runs = 5): Promise<BuildRow[]> {
  const rows: BuildRow[] = [];
  for (const nodes of sizes.filter((n) => n === 3)) {
    const harness: number[] = [];
    const batch: number[] = [];
    const tutorial: number[] = [];
    for (let i = 0; i < runs; i++) {
      harness.push(await timeHarness());
      batch.push(await timeShell(batchBuild(nodes)));
      tutorial.push(await timeShell(tutorialBuild(nodes)));
    }
    rows.push({ nodes, harness_ms: median(harness), batch_ms: median(batch), tutorial_ms: median(tutorial) });
  }
  return rows;
}
