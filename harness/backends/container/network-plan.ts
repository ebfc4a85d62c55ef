// What the container backend asks of the engine for a lab's underlay, worked out from the lab
// alone. Pure.
import type { Lab } from '../../lab/model.ts';
import { ipToNumber, networkAddress, numberToIp } from '../../lab/ipv4.ts';

export interface NetworkPlan {
  /** The engine's name for the network, and the bridge's name in the host's namespace. */
  name: string;
  bridge: string;
  subnet: string;
  /** The engine insists on a gateway; it gets an address no node uses, and is removed from the host. */
  gateway: string;
  mtu: number;
  options: Record<string, string>;
}

/** The highest host address of the subnet that no node uses. */
export function unusedGateway(lab: Lab): string {
  const { network, prefixLength } = lab.subnet;
  const used = new Set(lab.nodes.map((n) => n.nic.address));
  const first = ipToNumber(networkAddress(network, prefixLength));
  const broadcast = first + 2 ** (32 - prefixLength) - 1;
  for (let n = broadcast - 1; n > first; n--) {
    const candidate = numberToIp(n);
    if (!used.has(candidate)) return candidate;
  }
  throw new Error(`the underlay subnet of lab ${lab.name} has no address left for the engine's gateway`);
}

/** The bridge's name in the host's namespace: the run id makes it unique (and fits 15 characters). */
export function bridgeName(runId: string): string {
  return `br-${runId}`;
}

export function networkPlan(lab: Lab, runId: string): NetworkPlan {
  const mtu = Math.max(...lab.nodes.map((n) => n.nic.mtu));
  const bridge = bridgeName(runId);
  return {
    name: `vxlab-${runId}`,
    bridge,
    subnet: `${networkAddress(lab.subnet.network, lab.subnet.prefixLength)}/${lab.subnet.prefixLength}`,
    gateway: unusedGateway(lab),
    mtu,
    options: {
      'com.docker.network.bridge.name': bridge,
      'com.docker.network.driver.mtu': String(mtu),
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
    },
  };
}
