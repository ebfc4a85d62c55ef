// Waits, after the steps, until the kernel has finished bringing up every link they brought up.
//
// A link whose carrier comes on (a veth whose peer just came up) is not usable at once: the
// kernel's link watch, a work item that needs the RTNL lock, later sets its operational state,
// and until then a bridge keeps it as a disabled port and a device whose queue was never started
// drops what it sends. When another lab's namespaces are being deleted (the kernel holds the RTNL
// for a second or more at 100 nodes), that can outlast a check's first pings: the echoes were lost
// and "reachable" failed, or an "unreachable" passed for the wrong reason (NOTES, "Links that
// have not settled"). Such a link shows as up with its carrier on (LOWER_UP) while its state still
// says DOWN or LOWERLAYERDOWN, in `ip link show` as soon as it is so.
import type { NodeHandle } from '../backends/types.ts';
import { inNetns } from '../checks/ping.ts';
import { batchArgv } from '../policy/policy.ts';
import { CommandFailedError } from '../util/errors.ts';
import { DeadlineError, pollUntil } from '../util/poll.ts';

/** A link the kernel has not finished bringing up, and the state it still shows. */
export interface UnsettledLink {
  dev: string;
  state: string;
}

const LINK_LINE = /^\d+: ([^\s:@]+)(?:@[^\s:]+)?: <([^>]*)>.* state (\S+)/;

/** The links in `ip link show`'s text whose carrier is on while their state still says down. */
export function unsettledLinks(linkShow: string): UnsettledLink[] {
  const unsettled: UnsettledLink[] = [];
  for (const line of linkShow.split('\n')) {
    const match = LINK_LINE.exec(line);
    if (!match) continue;
    const flags = match[2]!.split(',');
    const state = match[3]!;
    if (flags.includes('UP') && flags.includes('LOWER_UP') && (state === 'DOWN' || state === 'LOWERLAYERDOWN')) unsettled.push({ dev: match[1]!, state });
  }
  return unsettled;
}

/**
 * Splits the output of a batch of `netns list` then `link show`: the guest namespaces' names
 * (`vm0` or `vm0 (id: 0)`) come before the first link line (`1: lo: <...`).
 */
export function splitNamespacesAndLinks(output: string): { namespaces: string[]; links: string } {
  const lines = output.split('\n');
  const first = lines.findIndex((l) => /^\d+: /.test(l));
  const names = (first < 0 ? lines : lines.slice(0, first)).map((l) => l.trim().replace(/ \(id: \d+\)$/, '')).filter(Boolean);
  return { namespaces: names, links: first < 0 ? '' : lines.slice(first).join('\n') };
}

export interface SettleOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Told once per node whose links were still coming up when read again, with which. */
  onWait?: (reason: string) => void;
}

const describePending = (pending: Map<Place, UnsettledLink[]>) =>
  [...pending].map(([place, links]) => `${links.map((l) => `${l.dev} (${l.state})`).join(', ')}${place ? ` in ${place}` : ''}`).join('; ');

/** Where a node's links were read: the node itself (undefined) or a guest namespace. */
type Place = string | undefined;

const LINK_SHOW = ['ip', 'link', 'show'];

/**
 * Returns once no link of `node`, in its namespace or its guests', is up with its carrier on but
 * its state still down; throws the lab error, naming them, if some still are after `timeoutMs`.
 * One process reads the node's guest list and links; a guest is read only if the node has one.
 */
async function settleNode(node: NodeHandle, options: SettleOptions): Promise<void> {
  const opts = options.signal ? { signal: options.signal } : {};
  const first = await node.exec(batchArgv('ip'), { ...opts, input: 'netns list\nlink show\n' });
  // A node whose reading fails has nothing to wait for here: the checks will say what they see.
  if (first.exitCode !== 0) return;
  const { namespaces, links } = splitNamespacesAndLinks(first.stdout);
  const read = async (place: Place) => {
    const result = await node.exec(inNetns(place, LINK_SHOW), opts);
    return result.exitCode === 0 ? unsettledLinks(result.stdout) : [];
  };
  let pending = new Map<Place, UnsettledLink[]>([[undefined, unsettledLinks(links)], ...(await Promise.all(namespaces.map(async (ns) => [ns, await read(ns)] as const)))]);
  pending = new Map([...pending].filter(([, l]) => l.length > 0));
  if (pending.size === 0) return;
  let told = false;
  try {
    await pollUntil(
      async () => {
        const again = await Promise.all([...pending.keys()].map(async (place) => [place, await read(place)] as const));
        pending = new Map(again.filter(([, l]) => l.length > 0));
        if (pending.size > 0 && !told) {
          told = true;
          options.onWait?.(`waiting for the kernel to bring up links on ${node.name}: ${describePending(pending)}`);
        }
        return pending.size === 0 ? true : undefined;
      },
      { what: `links on ${node.name} to come up`, timeoutMs: options.timeoutMs, ...opts },
    );
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
    const [place, stuck] = [...pending][0]!;
    throw new CommandFailedError(`links on ${node.name} did not come up within ${options.timeoutMs / 1000} s: their carrier is on, their state still down`, {
      node: node.name, origin: 'after the steps', command: inNetns(place, LINK_SHOW).join(' '), exitCode: 0,
      stdout: stuck.map((l) => `${l.dev}: state ${l.state}`).join('\n'), stderr: '',
    });
  }
}

/** Waits until every node's links have settled (all nodes at once). */
export async function waitForSettledLinks(nodes: readonly NodeHandle[], options: SettleOptions): Promise<void> {
  await Promise.all(nodes.map((node) => settleNode(node, options)));
}
