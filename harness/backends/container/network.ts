// The lab's underlay as an engine network: an internal bridge network (no route out, no NAT)
// with the lab's subnet. Three host-side touches, all on the bridge this run created, mirror the
// netns backend's switch: the engine's gateway address comes off (the host's namespace gets no
// lab address), multicast snooping goes off, and frames may cross the bridge although the
// engine's isolation rules drop multicast on internal networks (br_netfilter sends bridged
// frames through iptables); the same kind of DOCKER-USER rule containerlab installs.
import { readdir } from 'node:fs/promises';
import { DeadlineError, pollUntil } from '../../util/poll.ts';
import { PrerequisiteError, errorMessage } from '../../util/errors.ts';
import { pathExists } from '../../util/files.ts';
import { execArgv } from '../../util/process.ts';
import { subnetsOverlap } from '../../lab/ipv4.ts';
import { isAlive } from '../harness-identity.ts';
import type { Engine } from './engine.ts';
import { changeForwardRule, forwardRuleSpec, listForwardRules } from './forward-rule.ts';
import { RUN_LABEL, ownerOf } from './labels.ts';
import type { NetworkPlan } from './network-plan.ts';

/** How long a run waits for another live run to free the same subnet (the engine allows one). */
export const SUBNET_WAIT_MS = 10 * 60_000;

async function hostCommand(argv: string[], what: string): Promise<void> {
  const result = await execArgv(argv, { timeoutMs: 10_000 });
  if (result.exitCode !== 0) throw new Error(`${what} failed: ${argv.join(' ')}: ${result.stderr.trim() || `exit code ${result.exitCode}`}`);
}

type Holder = { name: string; runId?: string; alive: boolean };

/** Which network holds an overlapping subnet: waiting makes sense only for a live vxlab run. */
async function subnetHolder(engine: Engine, subnet: string): Promise<Holder | undefined> {
  for (const n of await engine.docker.listNetworks()) {
    if (!n.IPAM?.Config?.some((c) => c.Subnet !== undefined && subnetsOverlap(c.Subnet, subnet))) continue;
    const runId = n.Labels?.[RUN_LABEL];
    if (runId === undefined) return { name: n.Name, alive: false };
    const owner = ownerOf(n.Labels);
    return { name: n.Name, runId, alive: owner ? await isAlive(owner.identity) : true };
  }
  return undefined;
}

/** The interfaces on a bridge in this namespace: the host ends of the nodes' veths. */
export function bridgePorts(bridge: string): Promise<string[]> {
  return readdir(`/sys/class/net/${bridge}/brif`).catch(() => []);
}

/**
 * Waits until these interfaces are gone. The host end of a node's veth outlives its container
 * for a moment (the kernel frees a dead namespace's devices in the background), and a run
 * removes everything it made before it says it is done.
 */
export async function untilGone(interfaces: string[]): Promise<void> {
  await pollUntil(async () => ((await Promise.all(interfaces.map((i) => pathExists(`/sys/class/net/${i}`)))).some(Boolean) ? undefined : true), {
    what: `the host ends of the nodes' veths (${interfaces.join(', ')}) to go`,
    // The kernel's cleanup_net frees dead namespaces one batch at a time, under RTNL: behind a
    // backlog (100-node labs, other runs' namespaces) that took over 10 s once (CI of 2 Dec 14:45).
    timeoutMs: 30_000,
  });
}

export interface LabNetwork {
  name: string;
  remove(): Promise<void>;
}

async function createNetwork(engine: Engine, plan: NetworkPlan, labels: Record<string, string>, signal?: AbortSignal) {
  const create = () =>
    engine.client.network.create({
      Name: plan.name,
      Driver: 'bridge',
      Internal: true,
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: plan.subnet, Gateway: plan.gateway }] },
      Options: plan.options,
      Labels: labels,
    });
  try {
    return await pollUntil(
      async () => {
        try {
          return await create();
        } catch (error) {
          if (!/overlap/i.test(errorMessage(error))) throw error;
          const holder = await subnetHolder(engine, plan.subnet);
          // Another live run has this lab's subnet, or had it a moment ago (its network is going): wait.
          if (holder === undefined || holder.alive) return undefined;
          throw new PrerequisiteError(
            holder.runId
              ? `the lab's subnet ${plan.subnet} is held by network ${holder.name}, left by run ${holder.runId}, which is gone`
              : `the lab's subnet ${plan.subnet} overlaps network ${holder.name}, which is not vxlab's`,
            holder.runId ? 'remove it: npm run lab -- clean --backend container' : 'remove that network (docker network rm), or run this lab on the netns backend',
          );
        }
      },
      { what: `subnet ${plan.subnet}, held by another run`, timeoutMs: SUBNET_WAIT_MS, maxIntervalMs: 500, ...(signal ? { signal } : {}) },
    );
  } catch (error) {
    if (error instanceof DeadlineError) throw new Error(`${error.message}; the engine lets only one network have a subnet`, { cause: error });
    throw error;
  }
}

/** Creates the lab's network; on failure, whatever it made is removed again before rethrowing. */
export async function createLabNetwork(engine: Engine, plan: NetworkPlan, runId: string, labels: Record<string, string>, signal?: AbortSignal): Promise<LabNetwork> {
  const network = await createNetwork(engine, plan, labels, signal);
  let ruleAdded = false;
  const remove = async () => {
    const ports = await bridgePorts(plan.bridge);
    if (ruleAdded) await changeForwardRule('-D', forwardRuleSpec(plan.bridge, runId));
    ruleAdded = false;
    await engine.client.network.remove(network);
    await untilGone(ports);
  };
  try {
    // The bridge must be in our own namespace: an engine on another machine cannot be tidied up after.
    if (!(await pathExists(`/sys/class/net/${plan.bridge}`))) {
      throw new PrerequisiteError(`the engine's bridge ${plan.bridge} is not on this machine`, 'run the container backend on the machine that runs the engine');
    }
    await hostCommand(['ip', 'addr', 'flush', 'dev', plan.bridge], 'removing the engine gateway address from the host');
    await hostCommand(['ip', 'link', 'set', 'dev', plan.bridge, 'type', 'bridge', 'mcast_snooping', '0'], 'turning multicast snooping off');
    if ((await listForwardRules()) !== undefined) {
      await changeForwardRule('-I', forwardRuleSpec(plan.bridge, runId));
      ruleAdded = true;
    }
  } catch (error) {
    await remove().catch(() => undefined);
    throw error;
  }
  return { name: plan.name, remove };
}
