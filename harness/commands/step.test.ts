import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ExecResult, NodeHandle } from '../backends/types.ts';
import type { Step } from '../lab/model.ts';
import { createStepper, entryLine, stateDiff, type NodeState } from './step.ts';

const state = (tables: Record<string, Record<string, Record<string, unknown>[]>>): NodeState =>
  new Map(Object.entries(tables).map(([place, t]) => [place, new Map(Object.entries(t)) as NodeState extends Map<string, infer M> ? M : never]));

describe('stateDiff', () => {
  it('lists removed and added entries per namespace and table, and nothing unchanged', () => {
    const before = state({ '': { link: [{ dev: 'enp0s8', mtu: 1500 }, { dev: 'vxlan0', state: 'DOWN' }], fdb: [] } });
    const after = state({
      '': { link: [{ dev: 'enp0s8', mtu: 1500 }, { dev: 'vxlan0', state: 'UNKNOWN' }], fdb: [{ mac: '00:00:00:00:00:00', dst: '239.1.1.1', flags: ['self'] }] },
      vm0: { addr: [{ dev: 'eth0', address: '192.168.1.3/24' }] },
    });
    expect(stateDiff(before, after)).toEqual([
      'link:',
      '  - dev vxlan0 state DOWN',
      '  + dev vxlan0 state UNKNOWN',
      'fdb:',
      '  + mac 00:00:00:00:00:00 dst 239.1.1.1 flags self',
      'netns vm0 addr:',
      '  + dev eth0 address 192.168.1.3/24',
    ]);
    expect(stateDiff(after, after)).toEqual([]);
  });

  it('writes nested values (vxlan details) and lists as the text output does', () => {
    expect(entryLine({ dev: 'vxlan0', flags: ['UP', 'LOWER_UP'], vxlan: { id: 42, group: '239.1.1.1' } })).toBe('dev vxlan0 flags UP,LOWER_UP vxlan {id 42 group 239.1.1.1}');
  });
});

/** A node whose tables grow by one link per step. */
function fakeNode(): NodeHandle & { links: string[] } {
  const links: string[] = [];
  const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: '', timedOut: false }) as ExecResult;
  return {
    name: 'node0',
    links,
    exec: (argv) => Promise.resolve(argv.includes('netns') ? ok('') : argv.includes('link') ? ok(JSON.stringify(links.map((ifname) => ({ ifname })))) : ok('[]')),
    start: () => {
      throw new Error('not used');
    },
  };
}

const step = (index: number): Step => ({ index, node: 'node0', commands: [], timeoutMs: 1000 });

describe('createStepper', () => {
  it('shows each step\'s change and waits for a line before going on', async () => {
    const out: string[] = [];
    const input = new PassThrough();
    const stepper = createStepper((t) => out.push(t), input);
    const node = fakeNode();
    let finished = false;
    const first = stepper.aroundStep(step(0), node, async () => void node.links.push('vxlan0')).then(() => (finished = true));
    await new Promise<void>((resolve) => {
      const check = () => (out.some((t) => t.startsWith('press Enter')) ? resolve() : setImmediate(check));
      check();
    });
    expect(out.join('')).toBe('step 1 changed on node0:\n  link:\n    + dev vxlan0\npress Enter for the next step\n');
    expect(finished).toBe(false);
    input.write('\n');
    await first;
    expect(finished).toBe(true);
    // At the end of its input, it goes on without a line.
    input.end();
    await stepper.aroundStep(step(1), node, () => Promise.resolve());
    expect(out).toContain('step 2 changed on node0:\n  nothing in links, addresses, FDB or neighbours\n');
    stepper.close();
  });

  it('stops waiting when the run is interrupted', async () => {
    const controller = new AbortController();
    const stepper = createStepper(() => undefined, new PassThrough());
    const waiting = stepper.aroundStep(step(0), fakeNode(), () => Promise.resolve(), controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
    stepper.close();
  });
});
