// The default backend: each node is a pair of private namespaces held by one process,
// joined to the others through veth pairs on a bridge in a switch namespace.
//
//   node0 [enp0s8] ──veth── [node0]┐
//   node1 [enp0s8] ──veth── [node1]├─ br0 (switch namespace, multicast snooping off)
//   node2 [enp0s8] ──veth── [node2]┘
import type { Lab } from '../../lab/model.ts';
import { CommandFailedError } from '../../util/errors.ts';
import { DeferStack } from '../../util/defer.ts';
import { LocalProcess, execArgv, type ExecOptions, type BackgroundProcess } from '../../util/process.ts';
import { startedLab } from '../started-lab.ts';
import type { Backend, CleanReport, NodeHandle, StartedLab, UpOptions } from '../types.ts';
import { nicAddressLines } from '../nic.ts';
import { cleanDeadRuns } from './clean.ts';
import { Holder, inHolder } from './holder.ts';
import { checkNetnsPrerequisites } from './prerequisites.ts';

const SWITCH_BRIDGE = 'br0';

class NetnsNode implements NodeHandle {
  private readonly background = new Set<BackgroundProcess>();
  constructor(
    readonly name: string,
    readonly holder: Holder,
  ) {}

  exec(argv: readonly string[], options?: ExecOptions) {
    return execArgv(inHolder(this.holder.pid, argv), options);
  }

  start(argv: readonly string[]): BackgroundProcess {
    const process = new LocalProcess(inHolder(this.holder.pid, argv));
    this.background.add(process);
    void process.exited.then(() => this.background.delete(process));
    return process;
  }

  async stopBackground(): Promise<void> {
    await Promise.all([...this.background].map((p) => p.stop(500)));
  }
}

/** Builds the underlay commands for the switch and for each node (pure, for tests and reading). */
export function underlayPlan(lab: Lab, switchPid: number): { switchBefore: string[]; perNode: Map<string, string[]>; switchAfter: string[] } {
  const perNode = new Map<string, string[]>();
  const switchAfter: string[] = [];
  for (const node of lab.nodes) {
    const nic = node.nic;
    perNode.set(node.name, [
      `link add ${nic.name}${nic.mac ? ` address ${nic.mac}` : ''} mtu ${nic.mtu} type veth peer name ${node.name} mtu ${nic.mtu} netns ${switchPid}`,
      ...nicAddressLines(nic),
    ]);
    switchAfter.push(`link set dev ${node.name} master ${SWITCH_BRIDGE} up`);
  }
  // The bridge's MTU follows its smallest port; multicast floods like on the tutorials' VM networks.
  const switchBefore = [`link add ${SWITCH_BRIDGE} type bridge mcast_snooping 0`, `link set dev ${SWITCH_BRIDGE} up`];
  return { switchBefore, perNode, switchAfter };
}

export class NetnsBackend implements Backend {
  readonly name = 'netns';
  readonly supportsRootless = true;

  checkPrerequisites(): Promise<void> {
    return checkNetnsPrerequisites();
  }

  clean(): Promise<CleanReport> {
    return cleanDeadRuns();
  }

  async up(lab: Lab, options: UpOptions): Promise<StartedLab> {
    const defer = new DeferStack();
    const signalOption = options.signal ? { signal: options.signal } : {};
    const runBatch = async (label: string, holder: Holder, lines: string[]) => {
      const result = await execArgv(inHolder(holder.pid, ['ip', '-batch', '-']), { input: `${lines.join('\n')}\n`, ...signalOption });
      if (result.exitCode !== 0) {
        throw new CommandFailedError(`building the underlay of lab ${lab.name} failed`, {
          node: label, origin: 'underlay', command: `ip -batch - <<< ${JSON.stringify(lines)}`,
          exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr,
        });
      }
    };
    try {
      const start = async (label: string) => {
        const holder = await Holder.start(`vxlab-${options.runId}-${label}`, { runId: options.runId, node: label }, options.signal);
        defer.defer(`stop ${label}`, () => holder.stop());
        return holder;
      };
      // allSettled, not all: every holder that did start must be in the defer stack before unwinding.
      const settled = await Promise.allSettled([start('switch'), ...lab.nodes.map((n) => start(n.name))]);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const [switchHolder, ...holders] = settled.map((r) => (r as PromiseFulfilledResult<Holder>).value);
      const plan = underlayPlan(lab, switchHolder!.pid);
      await runBatch('switch', switchHolder!, plan.switchBefore);
      await Promise.all(lab.nodes.map((n, i) => runBatch(n.name, holders[i]!, plan.perNode.get(n.name)!)));
      await runBatch('switch', switchHolder!, plan.switchAfter);

      const nodes = new Map(lab.nodes.map((n, i) => [n.name, new NetnsNode(n.name, holders[i]!)]));
      defer.defer('stop background processes', () => Promise.all([...nodes.values()].map((n) => n.stopBackground())));
      return startedLab(this.name, lab.name, nodes, defer, (n) => `sudo nsenter -t ${n.holder.pid} -n -m`);
    } catch (error) {
      // Clean up what was built, then rethrow the original error: a teardown error never hides it.
      await defer.unwind();
      throw error;
    }
  }
}
