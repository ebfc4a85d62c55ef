// Removes what dead container runs left behind: containers, networks and forwarding rules that
// carry a run's labels (or, for rules, its comment), when the harness that made them is gone.
// A run is live while any of its resources names a live harness on this boot; live runs are
// never touched.
import { pathExists } from '../../util/files.ts';
import { bootId, isAlive } from '../harness-identity.ts';
import type { CleanReport } from '../types.ts';
import { getEngine } from './engine.ts';
import { changeForwardRule, listForwardRules } from './forward-rule.ts';
import { RUN_LABEL, ownerOf } from './labels.ts';
import { bridgePorts, untilGone } from './network.ts';
import { bridgeName } from './network-plan.ts';

export async function cleanDeadContainerRuns(): Promise<CleanReport> {
  const engine = await getEngine();
  const report: CleanReport = { removed: new Map(), live: new Set(), unit: ['leftover resource', 'leftover resources'] };
  const boot = await bootId();
  const filters = { label: [RUN_LABEL] };
  const containers = await engine.docker.listContainers({ all: true, filters });
  const networks = await engine.docker.listNetworks({ filters });

  // A resource without whole labels proves nothing and is left alone; an earlier boot's run is dead.
  const verdicts = new Map<string, boolean>();
  for (const labels of [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels)]) {
    const owner = ownerOf(labels);
    const runId = labels?.[RUN_LABEL];
    if (!runId) continue;
    const alive = owner === undefined ? true : owner.boot === boot && (await isAlive(owner.identity));
    verdicts.set(runId, (verdicts.get(runId) ?? false) || alive);
  }
  for (const [runId, alive] of verdicts) if (alive) report.live.add(runId);
  const count = (runId: string) => report.removed.set(runId, (report.removed.get(runId) ?? 0) + 1);
  const dead = (runId: string | undefined): runId is string => runId !== undefined && !report.live.has(runId);

  const ports = (await Promise.all([...verdicts.keys()].filter(dead).map((runId) => bridgePorts(bridgeName(runId))))).flat();
  for (const c of containers) {
    const runId = c.Labels?.[RUN_LABEL];
    if (!dead(runId)) continue;
    await engine.docker.getContainer(c.Id).remove({ force: true, v: true });
    count(runId);
  }
  for (const rule of (await listForwardRules()) ?? []) {
    if (!dead(rule.runId)) continue;
    // A run that started after the listing above has its bridge: only a rule whose run we judged
    // dead, or whose bridge is gone, is a leftover.
    if (!verdicts.has(rule.runId) && (await pathExists(`/sys/class/net/${bridgeName(rule.runId)}`))) continue;
    // One that vanished meanwhile (its run's own teardown) is not a leftover.
    if (await changeForwardRule('-D', rule.spec).then(() => true, () => false)) count(rule.runId);
  }
  for (const n of networks) {
    const runId = n.Labels?.[RUN_LABEL];
    if (!dead(runId)) continue;
    await engine.docker.getNetwork(n.Id).remove();
    count(runId);
  }
  await untilGone(ports);
  return report;
}
