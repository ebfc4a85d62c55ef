// Removes what dead runs left behind: every process of a node whose run's harness is gone (the
// kernel then frees the node's namespaces and all they hold), then the run's directory of node
// roots. Live runs are never touched.
import type { CleanReport } from '../types.ts';
import { isAlive } from '../harness-identity.ts';
import { findLabProcesses } from './marker.ts';
import { removeDeadRunDirs } from './root-tree.ts';

export async function cleanDeadRuns(): Promise<CleanReport> {
  const report: CleanReport = { removed: new Map(), live: new Set(), unit: ['leftover', 'leftovers'] };
  const processes = await findLabProcesses();
  const alive = new Map<string, boolean>();
  for (const p of processes) {
    const runId = p.marker.runId;
    if (!alive.has(runId)) alive.set(runId, await isAlive(p.marker));
    if (alive.get(runId)) {
      report.live.add(runId);
      continue;
    }
    try {
      process.kill(p.pid, 'SIGKILL');
      report.removed.set(runId, (report.removed.get(runId) ?? 0) + 1);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // already gone is fine
    }
  }
  // After the processes: a dead run's node roots (the directories its sandboxes bound).
  for (const [runId, count] of await removeDeadRunDirs()) report.removed.set(runId, (report.removed.get(runId) ?? 0) + count);
  return report;
}
