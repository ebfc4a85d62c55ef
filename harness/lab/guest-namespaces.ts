// The guest namespaces a node's steps made (`ip netns add vm0`), as `ip -j netns list` names them.
import type { NodeHandle } from '../backends/types.ts';

/** The names in `ip -j netns list`'s output (nothing when the node has none: ip prints nothing). */
export function parseNetnsList(stdout: string): string[] {
  return stdout.trim() ? (JSON.parse(stdout) as { name: string }[]).map((n) => n.name) : [];
}

/** A node's guest namespaces, sorted; none when the listing fails. */
export async function guestNamespaces(node: NodeHandle, signal?: AbortSignal): Promise<string[]> {
  const list = await node.exec(['ip', '-j', 'netns', 'list'], signal ? { signal } : {});
  return list.exitCode === 0 ? parseNetnsList(list.stdout).sort() : [];
}
