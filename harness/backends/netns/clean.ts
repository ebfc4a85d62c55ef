// Removes what dead runs left behind: every process of a node whose run's harness is gone. The
// kernel then frees the node's namespaces and all they hold. Live runs are never touched.
import type { CleanReport } from '../types.ts';
import { isAlive } from '../harness-identity.ts';
import { findLabProcesses } from './marker.ts';

export async function cleanDeadRuns(): Promise<CleanReport> {
  const report: CleanReport = { removed: new Map(), live: new Set(), unit: ['leftover process', 'leftover processes'] };
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
  return report;
}
