// Labels on everything the container backend creates: which run made it, and which harness
// process ran that run on which boot, so `clean` can tell a dead run's leftovers from a live run.
import { bootId, type HarnessIdentity } from '../harness-identity.ts';

export const RUN_LABEL = 'vxlab.run';
export const NODE_LABEL = 'vxlab.node';
export const HARNESS_PID_LABEL = 'vxlab.harness-pid';
export const HARNESS_START_LABEL = 'vxlab.harness-start';
export const BOOT_LABEL = 'vxlab.boot';
export const IMAGE_LABEL = 'vxlab.image';

export async function ownerLabels(runId: string, identity: HarnessIdentity): Promise<Record<string, string>> {
  return {
    [RUN_LABEL]: runId,
    [HARNESS_PID_LABEL]: String(identity.harnessPid),
    [HARNESS_START_LABEL]: String(identity.harnessStart),
    [BOOT_LABEL]: await bootId(),
  };
}

/** The harness a resource names, if its labels are whole; leftovers without them are never touched. */
export function ownerOf(labels: Record<string, string> | undefined): { runId: string; identity: HarnessIdentity; boot: string } | undefined {
  const runId = labels?.[RUN_LABEL];
  const pid = Number(labels?.[HARNESS_PID_LABEL]);
  const start = Number(labels?.[HARNESS_START_LABEL]);
  const boot = labels?.[BOOT_LABEL];
  if (!runId || !boot || !Number.isInteger(pid) || !Number.isInteger(start)) return undefined;
  return { runId, identity: { harnessPid: pid, harnessStart: start }, boot };
}
