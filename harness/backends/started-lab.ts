// A started lab as every backend hands it out: its nodes by name, a shell hint per node, and a
// teardown that unwinds the backend's defer stack once, however often it is asked for.
import type { DeferStack } from '../util/defer.ts';
import type { NodeHandle, StartedLab } from './types.ts';

export function startedLab<N extends NodeHandle>(backend: string, labName: string, nodes: ReadonlyMap<string, N>, defer: DeferStack, hint: (node: N) => string): StartedLab {
  let down: Promise<void> | undefined;
  const started: StartedLab = {
    backend,
    node(name) {
      const node = nodes.get(name);
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
  return started;
}
