// A started lab as every backend hands it out: its nodes by name, each behind the command policy,
// a shell hint per node, and a teardown that unwinds the backend's defer stack once, however
// often it is asked for.
import type { DeferStack } from '../util/defer.ts';
import { policed } from './policed-node.ts';
import type { NodeHandle, StartedLab } from './types.ts';

const unpoliced = new WeakMap<StartedLab, ReadonlyMap<string, NodeHandle>>();

/** A node's executor without the policy in front: only for the tests that prove the sandbox holds by itself. */
export function unpolicedNode(lab: StartedLab, name: string): NodeHandle {
  const node = unpoliced.get(lab)?.get(name);
  if (!node) throw new Error(`lab has no node ${name}`);
  return node;
}

export function startedLab<N extends NodeHandle>(backend: string, labName: string, nodes: ReadonlyMap<string, N>, defer: DeferStack, hint: (node: N) => string, { sharedClock }: { sharedClock: boolean }): StartedLab {
  let down: Promise<void> | undefined;
  const guarded = new Map([...nodes].map(([name, node]) => [name, policed(node)]));
  const started: StartedLab = {
    backend,
    sharedClock,
    node(name) {
      const node = guarded.get(name);
      if (!node) throw new Error(`lab ${labName} has no node ${name}`);
      return node;
    },
    accessHints() {
      return [...nodes.values()].map((n) => `${n.name}: ${hint(n)}`);
    },
    down() {
      down ??= defer.unwind().then((errors) => {
        if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
      });
      return down;
    },
    [Symbol.asyncDispose]() {
      return started.down();
    },
  };
  unpoliced.set(started, nodes);
  return started;
}
