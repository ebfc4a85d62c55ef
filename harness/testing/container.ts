// Test support for the container backend: is there an engine, and what did a run leave behind.
import { listForwardRules } from '../backends/container/forward-rule.ts';
import { getEngine } from '../backends/container/engine.ts';
import { RUN_LABEL } from '../backends/container/labels.ts';
import { bridgeName } from '../backends/container/network-plan.ts';
import { pathExists } from '../util/files.ts';

/** Why the container tests cannot run here, or undefined when an engine answers. */
export async function engineMissing(): Promise<string | undefined> {
  try {
    await getEngine();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Everything of one run still around: containers, networks, forwarding rules, host bridges. */
export async function containerResidue(runId: string): Promise<string[]> {
  const { docker } = await getEngine();
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  const containers = (await docker.listContainers({ all: true, filters })).map((c) => `container ${c.Names.join(',')}`);
  const networks = (await docker.listNetworks({ filters })).map((n) => `network ${n.Name}`);
  const rules = ((await listForwardRules()) ?? []).filter((r) => r.runId === runId).map((r) => `rule ${r.spec.join(' ')}`);
  const bridge = bridgeName(runId);
  const links = (await pathExists(`/sys/class/net/${bridge}`)) ? [`link ${bridge}`] : [];
  return [...containers, ...networks, ...rules, ...links];
}
