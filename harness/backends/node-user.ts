// Who a node's commands run as, on every backend: nobody (uid 65534), not root, holding only the
// node's capabilities as ambient ones. Root-owned files (the node's tree, the kernel's knobs in
// /proc and /sys, cgroup files) stay out of reach even where a path led to one.
import type { NodeNeeds } from '../lab/compile.ts';

export const NODE_UID = 65534;

/**
 * What a node's commands may do: configure the node's network (NET_ADMIN), ping and capture
 * (NET_RAW), and, only where the steps use `ip netns`, the mounts and namespace switches that
 * guest namespaces take (SYS_ADMIN).
 */
export function nodeCapabilities(needs: NodeNeeds | undefined): string[] {
  return ['net_admin', 'net_raw', ...(needs?.guestNamespaces ? ['sys_admin'] : [])];
}

/** The kernel's numbers of the capabilities nodeCapabilities names (linux/capability.h). */
const CAPABILITY_NUMBERS: Readonly<Record<string, number>> = { net_admin: 12, net_raw: 13, sys_admin: 21 };

/** The capabilities as the bit mask vxlab-enter takes (every one of them below 32: a safe integer). */
export function capabilityMask(capabilities: readonly string[]): number {
  return capabilities.reduce((mask, name) => {
    const bit = CAPABILITY_NUMBERS[name];
    if (bit === undefined) throw new Error(`no capability number is known for ${name}`);
    return mask | (1 << bit);
  }, 0);
}

/** setpriv's options that make the rest of its argv run as the node's user with these capabilities. */
export function setprivOptions(capabilities: readonly string[], options: { changeUser: boolean }): string[] {
  const caps = ['-all', ...capabilities.map((c) => `+${c}`)].join(',');
  const user = options.changeUser ? ['--reuid', String(NODE_UID), '--regid', String(NODE_UID), '--clear-groups'] : [];
  return [...user, '--inh-caps', caps, '--ambient-caps', caps, '--bounding-set', caps, '--no-new-privs'];
}
