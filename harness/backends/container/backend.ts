// The container backend: each node is a container from a locally built image, on an internal
// engine network with the lab's subnet; the tutorial's commands run in it through exec.
//
//   node0 [enp0s8] ─┐
//   node1 [enp0s8] ─┼─ br-RUNID (engine network vxlab-RUNID: internal, the lab's subnet)
//   node2 [enp0s8] ─┘
import type { NodeNeeds } from '../../lab/compile.ts';
import type { Lab, LabNode } from '../../lab/model.ts';
import { DeferStack } from '../../util/defer.ts';
import { CommandFailedError, PrerequisiteError, errorMessage } from '../../util/errors.ts';
import type { BackgroundProcess, ExecOptions } from '../../util/process.ts';
import { harnessIdentity } from '../harness-identity.ts';
import { nicAddressLines } from '../nic.ts';
import { nodeCapabilities, setprivOptions } from '../node-user.ts';
import { startedLab } from '../started-lab.ts';
import type { Backend, CleanReport, NodeHandle, StartedLab, UpOptions } from '../types.ts';
import { cleanDeadContainerRuns } from './clean.ts';
import { getEngine, type DockerContainer, type Engine } from './engine.ts';
import { ContainerProcess, execInContainer } from './exec.ts';
import { ensureNodeImage } from './image.ts';
import { NODE_LABEL, ownerLabels } from './labels.ts';
import { createLabNetwork } from './network.ts';
import { networkPlan } from './network-plan.ts';
import { checkContainerPrerequisites } from './prerequisites.ts';

/** The interface the engine gives a container's first network. */
const ENGINE_NIC = 'eth0';

/**
 * Guest namespaces live in /run/netns, which the node's user must create: a tmpfs it may write.
 * (The engine's own tmpfs takes the mode of the image's directory, and the build context's tar
 * makes that 0755.)
 */
const WRITABLE_RUN = [['mount', '-t', 'tmpfs', '-o', 'mode=1777,size=4m,nosuid,nodev', 'vxlab-run', '/run']];

const WRITABLE_NET_SYSCTLS = [
  ['mount', '--bind', '/proc/sys/net', '/proc/sys/net'],
  ['mount', '-o', 'remount,bind,rw', '/proc/sys/net'],
];

/** Programs the tutorial's commands and the checks run; a user's own image must have them. */
const REQUIRED_PROGRAMS = ['ip', 'bridge', 'ping', 'tcpdump', 'setpriv'];

export interface ContainerBackendOptions {
  /** A node image of the user's instead of the one vxlab builds. */
  image?: string;
  /** Run nodes privileged instead of with NET_ADMIN and NET_RAW (fails where the kernel's bounding set lacks a capability). */
  privileged?: boolean;
}

/** Commands that turn the engine's eth0 into the lab's NIC: name, MTU and address as the lab says. */
export function nicPlan(node: LabNode): string[] {
  const nic = node.nic;
  return [
    `link set dev ${ENGINE_NIC} down`,
    ...(nic.name === ENGINE_NIC ? [] : [`link set dev ${ENGINE_NIC} name ${nic.name}`]),
    `link set dev ${nic.name} mtu ${nic.mtu}${nic.mac ? ` address ${nic.mac}` : ''}`,
    // The engine's address carries a broadcast address the netns backend's has not: same state on both.
    `addr flush dev ${nic.name}`,
    ...nicAddressLines(nic),
  ];
}

/** IPv6 as in a fresh network namespace: the engine turns it off in containers. */
export function nodeSysctls(): Record<string, string> {
  return Object.fromEntries(['all', 'default', 'lo', ENGINE_NIC].map((dev) => [`net.ipv6.conf.${dev}.disable_ipv6`, '0']));
}

/**
 * A node's commands run as nobody with only the node's capabilities (node-user.ts), as on the
 * netns backend: even a node that holds CAP_SYS_ADMIN for `ip netns` cannot write a root-owned
 * file such as a cgroup's release_agent. vxlab's own preparation (`prepare`) runs as root.
 */
function asNodeUser(needs: NodeNeeds, argv: readonly string[]): readonly string[] {
  return ['setpriv', ...setprivOptions(nodeCapabilities(needs), { changeUser: true }), '--', ...argv];
}

class ContainerNode implements NodeHandle {
  private readonly background = new Set<BackgroundProcess>();
  constructor(
    readonly name: string,
    readonly containerName: string,
    private readonly engine: Engine,
    private readonly container: DockerContainer,
    private readonly needs: NodeNeeds,
  ) {}

  exec(argv: readonly string[], options?: ExecOptions) {
    return execInContainer(this.engine.docker, this.container, asNodeUser(this.needs, argv), options);
  }

  /** vxlab's own preparation, with every capability the container has. */
  prepare(argv: readonly string[], options?: ExecOptions) {
    return execInContainer(this.engine.docker, this.container, argv, options);
  }

  start(argv: readonly string[]): BackgroundProcess {
    const process = new ContainerProcess(this.engine.docker, this.container, asNodeUser(this.needs, argv));
    this.background.add(process);
    void process.exited.finally(() => this.background.delete(process)).catch(() => undefined);
    return process;
  }

  async stopBackground(): Promise<void> {
    await Promise.all([...this.background].map((p) => p.stop(500).catch(() => undefined)));
  }
}

async function removeContainer(engine: Engine, name: string): Promise<void> {
  try {
    await engine.docker.getContainer(name).remove({ force: true, v: true });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}

export class ContainerBackend implements Backend {
  readonly name = 'container';
  readonly supportsRootless = false;
  readonly reservesNeighbourRoom = true;

  /** The node image, found (or built) once per run, not once per scenario. */
  private image: Promise<string> | undefined;

  constructor(private readonly options: ContainerBackendOptions = {}) {}

  checkPrerequisites(): Promise<void> {
    return checkContainerPrerequisites();
  }

  clean(): Promise<CleanReport> {
    return cleanDeadContainerRuns();
  }

  async up(lab: Lab, options: UpOptions): Promise<StartedLab> {
    const engine = await getEngine();
    const defer = new DeferStack();
    const { runId, signal } = options;
    try {
      this.image ??= this.options.image !== undefined ? Promise.resolve(this.options.image) : ensureNodeImage(engine).then((i) => i.name);
      this.image.catch(() => (this.image = undefined));
      const image = await this.image;
      signal?.throwIfAborted();
      const owner = await ownerLabels(runId, await harnessIdentity());
      const plan = networkPlan(lab, runId);
      const network = await createLabNetwork(engine, plan, runId, owner, signal);
      defer.defer(`remove network ${plan.name}`, () => network.remove());

      const startNode = async (node: LabNode) => {
        const containerName = `vxlab-${runId}-${node.name}`;
        // By name, so that a container is removed even if its start never returned.
        defer.defer(`remove ${containerName}`, () => removeContainer(engine, containerName));
        const needs = options.nodeNeeds?.get(node.name) ?? { guestNamespaces: false, sysctlWrites: false };
        const container = this.nodeContainer(engine, image, node, containerName, plan.name, needs)
          .withLabels({ ...owner, [NODE_LABEL]: node.name });
        const started = await container.start().catch((error: unknown) => {
          throw new Error(`could not start node ${node.name} (container ${containerName}): ${errorMessage(error).trim()}${this.startHint(error)}`, { cause: error });
        });
        return new ContainerNode(node.name, containerName, engine, engine.docker.getContainer(started.getId()), needs);
      };
      // allSettled, not all: every container that did start must be removed when one fails.
      const settled = await Promise.allSettled(lab.nodes.map(startNode));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      signal?.throwIfAborted();
      const nodes = new Map(settled.map((r) => [(r as PromiseFulfilledResult<ContainerNode>).value.name, (r as PromiseFulfilledResult<ContainerNode>).value]));
      defer.defer('stop background processes', () => Promise.all([...nodes.values()].map((n) => n.stopBackground())));

      await Promise.all(lab.nodes.map((n) => this.prepareNode(nodes.get(n.name)!, n, options.nodeNeeds?.get(n.name), signal)));
      return startedLab(this.name, lab.name, nodes, defer, (n) => `docker exec -it ${n.containerName} sh`, { sharedClock: true });
    } catch (error) {
      // Clean up what was built, then rethrow the original error: a teardown error never hides it.
      await defer.unwind();
      throw error;
    }
  }

  private nodeContainer(engine: Engine, image: string, node: LabNode, name: string, network: string, needs: NodeNeeds) {
    const { GenericContainer } = engine.testcontainers;
    const privileged = this.options.privileged ?? false;
    // testcontainers' documented way to reach create options it has no method for: a subclass.
    class NodeContainer extends GenericContainer {
      constructor() {
        super(image);
        this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: node.nic.address } } } };
        if (node.nic.mac) this.createOpts.MacAddress = node.nic.mac;
        this.hostConfig.Sysctls = nodeSysctls();
        // A read-only root; /tmp (the exec wrapper's PID files) is a tmpfs. /run: see prepareNode.
        this.hostConfig.ReadonlyRootfs = true;
        this.hostConfig.Tmpfs = { '/tmp': 'size=16m' };
        // A cgroup namespace of its own (API 1.41; missing from the client's types).
        Object.assign(this.hostConfig, { CgroupnsMode: 'private' });
      }
    }
    const container = new NodeContainer()
      .withName(name)
      .withHostname(node.name)
      .withNetworkMode(network)
      .withEntrypoint(['sleep', 'infinity'])
      .withCommand([])
      .withAutoCleanup(false);
    if (privileged) return container.withPrivilegedMode();
    // Mounts need CAP_SYS_ADMIN: `ip netns add` bind-mounts /run/netns, `ip netns exec` mounts
    // /sys, and writable network sysctls take a mount of /proc/sys/net (see prepareNode). Only then.
    return container.withAddedCapabilities('NET_ADMIN', 'NET_RAW', ...(needs.guestNamespaces || needs.sysctlWrites ? ['SYS_ADMIN'] : []));
  }

  private startHint(error: unknown): string {
    if (this.options.privileged && /apply caps/.test(errorMessage(error))) {
      return "; privileged mode asks for every capability, and this kernel's bounding set lacks one: leave out --privileged (nodes get NET_ADMIN and NET_RAW)";
    }
    return '';
  }

  /** Checks a user's image has what the lab needs, then gives the NIC the lab's name and address. */
  private async prepareNode(node: ContainerNode, labNode: LabNode, needs: NodeNeeds | undefined, signal?: AbortSignal): Promise<void> {
    const signalOption = signal ? { signal } : {};
    if (this.options.image) {
      const programs = [...REQUIRED_PROGRAMS, ...(needs?.sysctlWrites || needs?.guestNamespaces ? ['sysctl', 'mount'] : [])];
      const probe = await node.prepare(['/bin/sh', '-c', 'for p in "$@"; do command -v "$p" >/dev/null || echo "$p"; done', 'probe', ...programs], signalOption);
      const missing = probe.stdout.trim().split(/\s+/).filter(Boolean);
      if (probe.exitCode !== 0 || missing.length > 0) {
        throw new PrerequisiteError(
          `the image ${this.options.image} lacks ${missing.length > 0 ? missing.join(', ') : `a working /bin/sh (${probe.stderr.trim()})`}`,
          'use an image with iproute2, iputils-ping and tcpdump, or leave out --image to use the one vxlab builds',
        );
      }
    }
    const lines = nicPlan(labNode);
    const preparations: { argv: string[]; input?: string; shown: string }[] = [
      { argv: ['ip', '-batch', '-'], input: `${lines.join('\n')}\n`, shown: `ip -batch - <<< ${JSON.stringify(lines)}` },
      // The engine mounts /proc/sys read-only. A node's network sysctls belong to its own
      // namespace, so only that subtree becomes writable: kernel.* and the rest stay read-only.
      ...(needs?.sysctlWrites ? WRITABLE_NET_SYSCTLS.map((argv) => ({ argv, shown: argv.join(' ') })) : []),
      ...(needs?.guestNamespaces ? WRITABLE_RUN.map((argv) => ({ argv, shown: argv.join(' ') })) : []),
    ];
    for (const step of preparations) {
      const result = await node.prepare(step.argv, { ...(step.input !== undefined ? { input: step.input } : {}), ...signalOption });
      if (result.exitCode !== 0) {
        throw new CommandFailedError(`preparing node ${node.name} failed`, {
          node: node.name, origin: 'underlay', command: step.shown,
          exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr,
        });
      }
    }
  }
}
