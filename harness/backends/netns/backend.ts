// The default backend: each node is a pair of private namespaces held by one process,
// joined to the others through veth pairs on a bridge in a switch namespace.
//
//   node0 [enp0s8] ──veth── [node0]┐
//   node1 [enp0s8] ──veth── [node1]├─ br0 (switch namespace, multicast snooping off)
//   node2 [enp0s8] ──veth── [node2]┘
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Lab } from '../../lab/model.ts';
import { ALLOWED_PROGRAMS } from '../../policy/policy.ts';
import { CommandFailedError } from '../../util/errors.ts';
import { DeferStack } from '../../util/defer.ts';
import { execArgv, type BackgroundProcess, type ExecOptions } from '../../util/process.ts';
import { treeFiles, type TreeFile } from '../node-tree.ts';
import { locateProgram, locatePrograms } from '../node-tree-host.ts';
import { startedLab } from '../started-lab.ts';
import type { Backend, CleanReport, NodeHandle, StartedLab, UpOptions } from '../types.ts';
import { nicAddressLines } from '../nic.ts';
import { cleanDeadRuns } from './clean.ts';
import { Holder } from './holder.ts';
import { SandboxProcess, execInSandbox } from './node-process.ts';
import { ProgramLauncher } from './launch.ts';
import { checkNetnsPrerequisites, inInitialUserNamespace } from './prerequisites.ts';
import { enterProgram } from './enter.ts';
import { assembleRoot, makeRunDir, removeRunDir } from './root-tree.ts';
import { nodeCapabilities } from '../node-user.ts';
import { DROPPER_PATH, HOLDER_PATH, enterArgv, inNetworkOfArgv } from './sandbox.ts';
import { shellCommand, shellWord } from '../ssh/quote.ts';
import { unsettledLinks } from '../../lab/links-settled.ts';
import { pollUntil } from '../../util/poll.ts';

const SWITCH_BRIDGE = 'br0';
const INSTALL_FIX = 'install iproute2, iputils-ping, tcpdump, procps, coreutils and util-linux';

class NetnsNode implements NodeHandle {
  private readonly background = new Set<BackgroundProcess>();
  constructor(
    readonly name: string,
    readonly holder: Holder,
    private readonly capabilities: readonly string[],
    private readonly rootless: boolean,
    private readonly launcher: ProgramLauncher,
    private readonly enter: string | undefined,
  ) {}

  exec(argv: readonly string[], options?: ExecOptions) {
    return execInSandbox(argv, (input) => this.launcher.launch(enterArgv(this.holder, this.capabilities, this.rootless, argv, this.enter), input), options);
  }

  start(argv: readonly string[]): BackgroundProcess {
    const process = new SandboxProcess(argv, this.launcher.launch(enterArgv(this.holder, this.capabilities, this.rootless, argv, this.enter), undefined));
    this.background.add(process);
    void process.exited.then(() => this.background.delete(process));
    return process;
  }

  async stopBackground(): Promise<void> {
    await Promise.all([...this.background].map((p) => p.stop(500)));
  }
}

/** The files of a node's tree: the programs scenarios may run, the holder and the capability dropper. */
async function nodeTree(): Promise<TreeFile[]> {
  const programs = await locatePrograms([...ALLOWED_PROGRAMS, 'cat', 'setpriv'], INSTALL_FIX);
  const [cat, setpriv] = programs.slice(-2);
  return treeFiles([...programs.slice(0, -2), { ...cat!, target: HOLDER_PATH }, { ...setpriv!, target: DROPPER_PATH }]);
}

/** What a /proc entry is on this host, for the sandbox to cover it. */
function procKind(path: string): 'file' | 'directory' | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? undefined : stat.isDirectory() ? 'directory' : 'file';
}

/** The switch runs no command of a scenario: its tree is the holder alone. */
async function switchTree(): Promise<TreeFile[]> {
  return treeFiles([{ ...(await locateProgram('cat', INSTALL_FIX)), target: HOLDER_PATH }]);
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

/**
 * The whole underlay from one process: each vxlab-enter (or nsenter) + `ip` spawned by Node
 * blocks its event loop until the child has exec'd (libuv), which at 100 nodes on a busy machine
 * cost more than the kernel work. The switch's bridge first, then xargs forks every node's batch at once, then
 * the switch's ports (which need every node's veth). The bridge must come first: made at the same
 * time as the veths, the first ARP through a fresh lab took ~24 ms when 6 labs ran at once, and a
 * reachable ping (2 ms interval, `-w`) sent 12 echoes, failing p2p's "exactly 1" capture. The batches go in files of
 * the lab's private run directory, named after their node (`switch.before`, `switch.after` for
 * the switch: no node name has a dot), so a failure says where (`Command failed DIR/FILE:LINE`).
 */
async function runUnderlay(lab: Lab, runDir: string, switchPid: number, holders: readonly Holder[], plan: ReturnType<typeof underlayPlan>, enter: string | undefined, options: { signal?: AbortSignal }): Promise<void> {
  const dir = join(runDir, 'underlay');
  await mkdir(dir, { mode: 0o700 });
  const batches = new Map<string, { pid: number; lines: string[] }>([
    ['switch.before', { pid: switchPid, lines: plan.switchBefore }],
    ...lab.nodes.map((n, i) => [n.name, { pid: holders[i]!.pid, lines: plan.perNode.get(n.name)! }] as const),
    // Last, the switch's links as they stand (printed by the same `ip`), for the wait below.
    ['switch.after', { pid: switchPid, lines: [...plan.switchAfter, 'link show'] }],
  ]);
  await Promise.all([...batches].map(([name, b]) => writeFile(join(dir, name), `${b.lines.join('\n')}\n`, { mode: 0o600 })));
  // Each node's `ip -batch FILE` in its network namespace (inNetworkOfArgv), as xargs's NUL-separated words.
  const perNode = [...batches].filter(([name]) => !name.startsWith('switch.')).map(([name, b]) => inNetworkOfArgv(b.pid, ['ip', '-batch', join(dir, name)], enter));
  const inSwitch = (file: string) => shellCommand(inNetworkOfArgv(switchPid, ['ip', '-batch', join(dir, file)], enter));
  const switchLinkShow = inNetworkOfArgv(switchPid, ['ip', 'link', 'show'], enter);
  const script = `${inSwitch('switch.before')} && xargs -0 -n ${perNode[0]!.length - 1} -P 0 ${shellWord(perNode[0]![0]!)} && exec ${inSwitch('switch.after')}`;
  const input = `${perNode.flatMap((argv) => argv.slice(1)).join('\0')}\0`;
  const result = await execArgv(['sh', '-c', script], { input, ...options });
  if (result.exitCode !== 0) {
    const failed = /Command failed (\S+):(\d+)/.exec(result.stderr);
    const file = failed ? basename(failed[1]!) : undefined;
    const lines = (file && batches.get(file)?.lines) ?? [];
    throw new CommandFailedError(`building the underlay of lab ${lab.name} failed`, {
      node: file?.replace(/\..*/, '') ?? 'a node', origin: 'underlay', command: failed ? (lines[Number(failed[2]) - 1] ?? '') : 'ip -batch',
      exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr,
    });
  }
  // The switch's ports come up as their node's veth does: until the kernel's link watch has run
  // for them, the bridge forwards nothing through them (lab/links-settled.ts).
  // Judged on the bridge's own listing: output without it would make the wait below say nothing.
  if (!result.stdout.includes(`: ${SWITCH_BRIDGE}: `)) throw new Error(`building the underlay of lab ${lab.name}: the switch's \`ip link show\` did not list ${SWITCH_BRIDGE}:\n${result.stdout}`);
  if (unsettledLinks(result.stdout).length === 0) return;
  await pollUntil(async () => {
    const again = await execArgv(switchLinkShow, options);
    return again.exitCode === 0 && unsettledLinks(again.stdout).length === 0 ? true : undefined;
  }, { what: `the switch ports of lab ${lab.name} to come up`, timeoutMs: 10_000, ...options });
}

export class NetnsBackend implements Backend {
  readonly name = 'netns';
  readonly supportsRootless = true;
  readonly reservesNeighbourRoom = true;

  checkPrerequisites(): Promise<void> {
    // The nodes' programs are found (their libraries listed) while the machine is checked: start-up
    // time. A failure there is up()'s to report, when it asks again (nothing is kept of one).
    nodeTree().catch(() => undefined);
    void enterProgram();
    return checkNetnsPrerequisites();
  }

  clean(): Promise<CleanReport> {
    return cleanDeadRuns();
  }

  async up(lab: Lab, options: UpOptions): Promise<StartedLab> {
    const defer = new DeferStack();
    const signalOption = options.signal ? { signal: options.signal } : {};
    try {
      const [nodeFiles, switchFiles, initialUserNamespace, enter] = await Promise.all([nodeTree(), switchTree(), inInitialUserNamespace(), enterProgram()]);
      const runDir = await makeRunDir(options.runId);
      // Deferred first, so removed last: after every sandbox that binds it is gone.
      defer.defer('remove the node roots', () => removeRunDir(runDir));
      const [nodeRoot, switchRoot] = [join(runDir, 'node'), join(runDir, 'switch')];
      await Promise.all([assembleRoot(nodeRoot, nodeFiles), assembleRoot(switchRoot, switchFiles)]);
      const rootless = !initialUserNamespace;
      const labels = ['switch', ...lab.nodes.map((n) => n.name)];
      const specs = labels.map((label, i) => ({
        label: `vxlab-${options.runId}-${label}`,
        plan: { hostname: label, root: i === 0 ? switchRoot : nodeRoot, rootless, procKind },
        owner: { runId: options.runId, node: label },
      }));
      // Every deadline runs while the others start on this shared machine: a bigger lab waits longer.
      const settled = await Holder.startAll(runDir, specs, 5000 + 100 * lab.nodes.length, (launcher) => defer.defer('end the holders\' launcher', () => launcher.end()), enter);
      // Every holder that did start goes into the defer stack before unwinding; they stop all at once.
      const started = settled.flatMap((r, i) => (r.status === 'fulfilled' ? [{ label: labels[i]!, holder: r.value }] : []));
      defer.defer(`stop ${started.map((s) => s.label).join(', ')}`, async () => {
        const failed = (await Promise.allSettled(started.map((s) => s.holder.stop()))).find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      options.signal?.throwIfAborted();
      const [switchHolder, ...holders] = settled.map((r) => (r as PromiseFulfilledResult<Holder>).value);
      // The underlay is vxlab's own plumbing, never a scenario's: the host's ip runs it in the holders' network namespaces only.
      await runUnderlay(lab, runDir, switchHolder!.pid, holders, underlayPlan(lab, switchHolder!.pid), enter, signalOption);

      // Commands asked for in one turn (a forEach group's steps, a check's pings) start from one bash,
      // a command asked for alone from the lab's standing bash: launch.ts.
      const launcher = new ProgramLauncher(runDir, enter);
      defer.defer('end the standing launcher', () => launcher.end());
      const nodes = new Map(lab.nodes.map((n, i) => [n.name, new NetnsNode(n.name, holders[i]!, nodeCapabilities(options.nodeNeeds?.get(n.name)), rootless, launcher, enter)]));
      defer.defer('stop background processes', () => Promise.all([...nodes.values()].map((n) => n.stopBackground())));
      return startedLab(this.name, lab.name, nodes, defer, (n) => `sudo nsenter -t ${n.holder.pid} --net --uts  (the node's network with your own shell and tools; a guest namespace: sudo nsenter --net=/proc/${n.holder.pid}/root/run/netns/NAME)`, { sharedClock: true });
    } catch (error) {
      // Clean up what was built, then rethrow the original error: a teardown error never hides it.
      await defer.unwind();
      throw error;
    }
  }
}
