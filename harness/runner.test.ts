// The runner against an in-memory backend: lifecycle and events, no kernel involved.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, NodeHandle, StartedLab } from './backends/types.ts';
import type { Check, Scenario } from './lab/model.ts';
import type { RunEvent } from './report/events.ts';
import { checkGroupWhere, concurrentChecks, concurrentGroups, runScenarios, type RunOptions } from './runner.ts';
import { loadScenario } from './scenario/resolve.ts';
import type { ExecResult } from './util/process.ts';

type Script = (node: string, argv: readonly string[], input?: string) => Partial<ExecResult>;

class FakeBackend implements Backend {
  readonly name = 'fake';
  readonly supportsRootless = false;
  reservesNeighbourRoom = false;
  ups = 0;
  downs = 0;
  readonly calls: string[] = [];
  constructor(private readonly script: Script, private readonly failUp?: Error) {}
  async checkPrerequisites() {}
  async clean() {
    return { removed: new Map<string, number>(), live: new Set<string>(), unit: ['leftover', 'leftovers'] as [string, string] };
  }
  async up(): Promise<StartedLab> {
    this.ups += 1;
    if (this.failUp) throw this.failUp;
    const node = (name: string): NodeHandle => ({
      name,
      exec: async (argv, options) => {
        this.calls.push(`${name}: ${argv.join(' ')}`);
        return { exitCode: 0, stdout: '', stderr: '', durationMs: 0, timedOut: false, ...this.script(name, argv, options?.input) };
      },
      start: () => {
        throw new Error('no captures in the fake backend');
      },
    });
    let down = false;
    const lab: StartedLab = {
      backend: 'fake',
      node,
      accessHints: () => ['node0: fake'],
      down: async () => {
        if (!down) this.downs += 1;
        down = true;
      },
      [Symbol.asyncDispose]: () => lab.down(),
    };
    return lab;
  }
}

async function run(scenario: Scenario, backend: FakeBackend, extra: Pick<RunOptions, 'keep' | 'aroundStep'> = {}) {
  const events: RunEvent[] = [];
  const summary = await runScenarios([scenario], { backend, runId: 'vxtest', emit: (e) => events.push(e), ...extra });
  return { events, summary };
}

const PING_OK = '3 packets transmitted, 3 received, 0% packet loss\n';
const pingOnly = (scenario: Scenario): Scenario => ({ ...scenario, checks: scenario.checks.filter((c) => c.kind === 'ping' && c.spec.expect === 'reachable') });

describe('runScenarios', () => {
  it('builds, runs steps in batches, runs checks and tears down once', async () => {
    const backend = new FakeBackend((_node, argv) => (argv[0] === 'ping' ? { stdout: PING_OK } : {}));
    const { events, summary } = await run(pingOnly(await loadScenario('p2p')), backend);
    expect(summary).toEqual({ passed: 2, failed: 0, skipped: 0, broken: 0 });
    expect(backend.calls.slice(0, 2)).toEqual(['node0: ip -batch -', 'node1: ip -batch -']);
    expect(backend.downs).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['run-start', 'scenario-start', 'lab-up', 'step', 'step', 'check', 'check', 'scenario-end', 'run-end']);
  });

  it('runs each step through aroundStep (--step), which sees the node before and after its commands', async () => {
    const backend = new FakeBackend((_node, argv) => (argv[0] === 'ping' ? { stdout: PING_OK } : {}));
    const seen: string[] = [];
    await run(pingOnly(await loadScenario('p2p')), backend, {
      aroundStep: async (step, node, runStep) => {
        seen.push(`before ${step.index} on ${node.name}: ${backend.calls.length} calls`);
        await runStep();
        seen.push(`after ${step.index} on ${node.name}: ${backend.calls.length} calls`);
      },
    });
    expect(seen).toEqual(['before 0 on node0: 0 calls', 'after 0 on node0: 1 calls', 'before 1 on node1: 1 calls', 'after 1 on node1: 2 calls']);
  });

  it('reports a failing command as a broken lab with node, step, command and stderr, and still tears down', async () => {
    const backend = new FakeBackend((node, argv, input) =>
      node === 'node1' && argv[1] === '-batch' ? { exitCode: 1, stderr: `Error: either "local" is duplicate, or "bogus" is a garbage.\nCommand failed -:2\n`, stdout: input ? '' : '' } : {},
    );
    const { events, summary } = await run(await loadScenario('p2p'), backend);
    expect(summary.broken).toBe(1);
    const error = events.find((e) => e.type === 'lab-error');
    expect(error).toMatchObject({
      error: { message: 'step 2 failed on node1', node: 'node1', at: 'steps[1].run[1]', command: 'ip addr add 10.20.1.3/24 dev vxlan0', exitCode: 1, output: 'Error: either "local" is duplicate, or "bogus" is a garbage.' },
    });
    expect(error?.type === 'lab-error' && error.checksNotRun).toHaveLength(6);
    expect(events.some((e) => e.type === 'check')).toBe(false);
    expect(backend.downs).toBe(1);
  });

  it('reports a lab that cannot come up, without a teardown to do', async () => {
    const backend = new FakeBackend(() => ({}), new Error('the namespace holder for node0 exited'));
    const { events, summary } = await run(await loadScenario('p2p'), backend);
    expect(summary.broken).toBe(1);
    expect(events.find((e) => e.type === 'lab-error')).toMatchObject({ error: { message: 'the namespace holder for node0 exited' } });
    expect(backend.downs).toBe(0);
  });

  it('turns a check that throws into a failed check, not a crash', async () => {
    const backend = new FakeBackend(() => ({}));
    const scenario = await loadScenario('p2p');
    const { events, summary } = await run({ ...scenario, checks: scenario.checks.filter((c) => c.kind === 'capture') }, backend);
    expect(summary.failed).toBe(1);
    expect(events.find((e) => e.type === 'check')).toMatchObject({ outcome: { status: 'fail', reason: 'the check could not run: no captures in the fake backend' } });
    expect(backend.downs).toBe(1);
  });

  it('keeps the lab up until told, then tears it down', async () => {
    const backend = new FakeBackend((_n, argv) => (argv[0] === 'ping' ? { stdout: PING_OK } : {}));
    let release!: () => void;
    const kept = new Promise<void>((resolve) => (release = resolve));
    const running = run(pingOnly(await loadScenario('p2p')), backend, { keep: () => kept });
    await new Promise((r) => setTimeout(r, 20));
    expect(backend.downs).toBe(0);
    release();
    const { events } = await running;
    expect(events.find((e) => e.type === 'kept')).toMatchObject({ hints: ['node0: fake'] });
    expect(backend.downs).toBe(1);
  });

  it('tears down and rethrows the interrupt when aborted', async () => {
    const controller = new AbortController();
    const backend = new FakeBackend((_n, argv) => {
      if (argv[0] === 'ping') controller.abort(new Error('interrupted by SIGINT'));
      return { stdout: PING_OK };
    });
    const events: RunEvent[] = [];
    await expect(runScenarios([pingOnly(await loadScenario('p2p'))], { backend, runId: 'vx', emit: (e) => events.push(e), signal: controller.signal })).rejects.toThrow('interrupted by SIGINT');
    expect(backend.downs).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'scenario-end', interrupted: 'in check 1 of 2 (node0 reaches 10.20.1.3)' });
  });

  it('says where an interrupt landed, teardown included, and then ends the run too', async () => {
    const controller = new AbortController();
    const backend = new FakeBackend((_n, argv) => (argv[0] === 'ping' ? { stdout: PING_OK } : {}));
    const events: RunEvent[] = [];
    const moments: string[] = [];
    const atMoment: RunOptions['atMoment'] = async (m) => {
      moments.push(m.number === undefined ? m.name : `${m.name}:${m.number}`);
      if (m.name === 'teardown') controller.abort(new Error('interrupted by SIGTERM'));
    };
    const scenario = pingOnly(await loadScenario('p2p'));
    await expect(runScenarios([scenario, scenario], { backend, runId: 'vx', emit: (e) => events.push(e), signal: controller.signal, atMoment })).rejects.toThrow('interrupted by SIGTERM');
    expect(moments).toEqual(['lab-up', 'step:1', 'step:2', 'teardown']);
    expect(backend.downs).toBe(1);
    expect(events.filter((e) => e.type === 'scenario-start')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'scenario-end', passed: 2, interrupted: 'while the lab was being torn down' });
  });

  it('with skipFailingCommands (ablate), runs commands one by one and skips and reports the ones that fail', async () => {
    const backend = new FakeBackend((node, argv) => (argv[0] === 'ping' ? { stdout: PING_OK } : node === 'node1' && argv.includes('addr') ? { exitCode: 1, stderr: 'Cannot find device "vxlan0"\n' } : {}));
    const events: RunEvent[] = [];
    const summary = await runScenarios([pingOnly(await loadScenario('p2p'))], { backend, runId: 'vx', emit: (e) => events.push(e), skipFailingCommands: true });
    expect(summary).toEqual({ passed: 2, failed: 0, skipped: 0, broken: 0 });
    expect(backend.calls.slice(0, 6).every((c) => !c.includes('-batch'))).toBe(true);
    expect(events.filter((e) => e.type === 'command-skipped')).toEqual([
      { type: 'command-skipped', scenario: 'p2p', node: 'node1', at: 'steps[1].run[1]', command: 'ip addr add 10.20.1.3/24 dev vxlan0', output: 'Cannot find device "vxlan0"' },
    ]);
  });
});

describe('checks in a row', () => {
  /**
   * A backend whose commands that `held` picks wait until `expected` of them have started, or
   * 300 ms: one at a time, at most one is ever in flight. `order` says what ran, in the order it ended.
   */
  function gatedBackend(held: (argv: readonly string[]) => boolean, expected: number, answer: (argv: readonly string[]) => Partial<ExecResult>) {
    const seen = { most: 0, order: [] as string[] };
    let inFlight = 0;
    let allIn!: () => void;
    const allStarted = new Promise<void>((resolve) => (allIn = resolve));
    const backend = new FakeBackend((_node, argv) => answer(argv));
    const up = backend.up.bind(backend);
    backend.up = async () => {
      const started = await up();
      return { ...started, node: (name: string) => ({ ...started.node(name), exec: async (argv, options) => {
        if (!held(argv)) {
          seen.order.push(argv[0]!);
          return started.node(name).exec(argv, options);
        }
        inFlight += 1;
        seen.most = Math.max(seen.most, inFlight);
        if (inFlight === expected) allIn();
        await Promise.race([allStarted, new Promise((resolve) => setTimeout(resolve, 300))]);
        inFlight -= 1;
        seen.order.push('held');
        return started.node(name).exec(argv, options);
      } }) };
    };
    return { backend, seen };
  }
  const checkNumbers = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'check' ? [e.number] : []));

  it('state checks read at once (they only read), still report in check order, and the next check waits for them', async () => {
    const scenario = await loadScenario('p2p-mtu');
    const reads = scenario.checks.findIndex((c) => c.kind !== 'state');
    expect(reads).toBeGreaterThanOrEqual(3); // the tutorial's reads come first
    const checks = scenario.checks.slice(0, reads + 1);
    expect(checks.at(-1)).toMatchObject({ kind: 'ping', spec: { expect: 'reachable' } });
    const { backend, seen } = gatedBackend((argv) => argv.includes('show'), reads, (argv) => (argv[0] === 'ping' ? { stdout: PING_OK } : argv.includes('show') ? { exitCode: 1, stderr: 'fake' } : {}));
    const { events } = await run({ ...scenario, checks }, backend);
    expect(seen.most).toBe(reads);
    expect(seen.order.slice(-(reads + 1))).toEqual([...Array(reads).fill('held'), 'ping']); // after the steps' own commands
    expect(checkNumbers(events)).toEqual(checks.map((_, i) => i + 1));
  });

  it('pings go one at a time, even those that expect an answer (one ping can teach another its path)', async () => {
    const scenario = await loadScenario('multicast');
    const checks = scenario.checks.filter((c) => c.kind === 'ping');
    expect(checks.length).toBeGreaterThanOrEqual(3);
    const { backend, seen } = gatedBackend((argv) => argv[0] === 'ping', checks.length, () => ({ stdout: PING_OK }));
    const { events, summary } = await run({ ...scenario, checks }, backend);
    expect(seen.most).toBe(1);
    expect(summary.passed).toBe(checks.length);
    expect(checkNumbers(events)).toEqual(checks.map((_, i) => i + 1));
  });

  it('name where a run is while they run', () => {
    const state = (template?: string) => ({ kind: 'state', ...(template ? { template } : {}) }) as Check;
    expect(checkGroupWhere([state('checks[0]'), state('checks[0]')], 0, 5)).toBe('in checks 1 to 2 of 5 (checks[0], on every node at once)');
    expect(checkGroupWhere([state(), state('checks[1]')], 2, 5)).toBe('in checks 3 to 4 of 5 (state checks, read at once)');
  });

  it('keep every other check alone, and a row of state checks apart from it', () => {
    const ping = { kind: 'ping', spec: { expect: 'reachable' } } as Check;
    const state = { kind: 'state' } as Check;
    const checks = [ping, ping, { kind: 'capture' } as Check, state, state, ping];
    expect([0, 1, 2, 3, 5].map((i) => concurrentChecks(checks, i).length)).toEqual([1, 1, 1, 2, 1]);
  });
});

describe('runScenarios with jobs', () => {
  /** Every exec waits until `opened` labs are up: only scenarios that run at once can get there. */
  class GatedBackend extends FakeBackend {
    private open!: () => void;
    private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
    constructor(private readonly opened: number) {
      super((_n, argv) => (argv[0] === 'ping' ? { stdout: PING_OK } : {}));
    }
    override async up(): Promise<StartedLab> {
      const lab = await super.up();
      if (this.ups === this.opened) this.open();
      return { ...lab, node: (name: string) => ({ ...lab.node(name), exec: async (argv, options) => (await this.gate, lab.node(name).exec(argv, options)) }) };
    }
  }

  it('runs scenarios at once and still reports each one whole, in scenario order', async () => {
    const scenarios = await Promise.all(['p2p', 'multicast', 'vni-isolation'].map(async (n) => pingOnly(await loadScenario(n))));
    const backend = new GatedBackend(3);
    const events: RunEvent[] = [];
    const summary = await runScenarios(scenarios, { backend, runId: 'vx', jobs: 3, emit: (e) => events.push(e) });
    expect(backend.downs).toBe(3);
    expect(summary.failed + summary.broken).toBe(0);
    const ordered = events.filter((e) => e.type !== 'progress').map((e) => ('scenario' in e ? (typeof e.scenario === 'string' ? e.scenario : e.scenario.name) : e.type));
    const order = ordered.filter((name, i) => name !== ordered[i - 1]);
    expect(order).toEqual(['run-start', 'p2p', 'multicast', 'vni-isolation', 'run-end']);
    expect(events.filter((e) => e.type === 'progress').at(-1)).toEqual({ type: 'progress', done: 3, total: 3, running: [] });
  });

  it('keeps every lab up until each scenario has done its checks, its slot going to the next scenario', async () => {
    const scenarios = await Promise.all(['p2p', 'multicast', 'vni-isolation'].map(async (n) => pingOnly(await loadScenario(n))));
    // What was up and what had come down at each ping of every scenario.
    const seen: string[] = [];
    const backend: FakeBackend = new FakeBackend((_n, argv) => {
      if (argv[0] !== 'ping') return {};
      seen.push(`${backend.ups} up, ${backend.downs} down`);
      return { stdout: PING_OK };
    });
    const events: RunEvent[] = [];
    const summary = await runScenarios(scenarios, { backend, runId: 'vx', jobs: 2, emit: (e) => events.push(e) });
    expect(summary).toEqual({ passed: 7, failed: 0, skipped: 0, broken: 0 });
    // Two at a time, yet the third ran beside both labs: the first had done its checks, not come down.
    expect(seen.at(-1)).toBe('3 up, 0 down');
    expect(seen.every((s) => s.endsWith(' 0 down'))).toBe(true);
    expect(backend.downs).toBe(3);
    const ends = events.flatMap((e) => (e.type === 'scenario-end' ? [e.scenario] : []));
    expect(ends).toEqual(['p2p', 'multicast', 'vni-isolation']);
    // Progress counts a scenario done with its checks; the held lab is no longer running.
    const progress = events.flatMap((e) => (e.type === 'progress' ? [`${e.done}: ${e.running.join(' ')}`] : []));
    expect(progress).toEqual(['0: p2p', '0: p2p multicast', '1: multicast', '1: multicast vni-isolation', '2: vni-isolation', '3: ']);
  });

  it('on an interrupt, brings the held labs down, and a scenario whose checks were done stays ok', async () => {
    const controller = new AbortController();
    const backend = new FakeBackend((_n, argv) => (argv[0] === 'ping' ? { stdout: PING_OK } : {}));
    const scenarios = await Promise.all(['p2p', 'multicast'].map(async (n) => pingOnly(await loadScenario(n))));
    const events: RunEvent[] = [];
    // The first scenario done with its checks is held; the interrupt lands while the other runs its checks.
    const emit = (e: RunEvent) => {
      events.push(e);
      if (e.type === 'progress' && e.done === 1) controller.abort(new Error('interrupted by SIGINT'));
    };
    await expect(runScenarios(scenarios, { backend, runId: 'vx', jobs: 2, emit, signal: controller.signal })).rejects.toThrow('interrupted by SIGINT');
    expect(backend.downs).toBe(2);
    const ends = events.flatMap((e) => (e.type === 'scenario-end' ? [e] : []));
    expect(ends.map((e) => e.scenario).sort()).toEqual(['multicast', 'p2p']);
    const [held, cut] = ends.filter((e) => e.interrupted === undefined).length === 1 ? [ends.find((e) => !e.interrupted)!, ends.find((e) => e.interrupted)!] : [undefined, undefined];
    expect(held).toMatchObject({ failed: 0, passed: scenarios.find((s) => s.name === held?.scenario)!.checks.length });
    expect(cut?.interrupted).toBeDefined();
    expect(cut?.interrupted).not.toMatch(/held/);
  });

  it('lets the held labs come down when a scenario has to wait for room in the neighbour table', async () => {
    // Two 100-node labs need 2 x 596 entries of the 1024 (net.ipv4.neigh.default.gc_thresh3): the
    // second waits until the first is down, which a held first lab would never be.
    const big = await loadScenario('scale-multicast-100');
    const scenarios = [big, { ...big, name: 'scale-multicast-100-again' }].map((s) => ({ ...s, checks: s.checks.filter((c) => c.kind === 'pings') }));
    const calls: string[] = [];
    const backend: FakeBackend = new FakeBackend(() => ({ stdout: PING_OK }));
    backend.reservesNeighbourRoom = true;
    const up = backend.up.bind(backend);
    backend.up = async () => {
      calls.push('up');
      const lab = await up();
      return { ...lab, [Symbol.asyncDispose]: async () => (calls.push('down'), lab.down()) };
    };
    const ledger = await mkdtemp(join(tmpdir(), 'vxlab-ledger-hold-'));
    const before = process.env.VXLAB_NEIGHBOUR_LEDGER;
    process.env.VXLAB_NEIGHBOUR_LEDGER = ledger;
    try {
      const events: RunEvent[] = [];
      const summary = await runScenarios(scenarios, { backend, runId: 'vx', jobs: 2, emit: (e) => events.push(e) });
      expect(summary.broken).toBe(0);
      // Whichever reserved second waited (both start at once).
      expect(events.filter((e) => e.type === 'waiting' && /neighbour table/.test(e.reason))).toHaveLength(1);
      expect(calls).toEqual(['up', 'down', 'up', 'down']);
    } finally {
      if (before === undefined) delete process.env.VXLAB_NEIGHBOUR_LEDGER;
      else process.env.VXLAB_NEIGHBOUR_LEDGER = before;
      await rm(ledger, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('concurrentGroups', () => {
  const item = (index: number, group?: number) => ({ step: { index, node: `node${index}`, commands: [], timeoutMs: 1000, ...(group === undefined ? {} : { group }) } });

  it("puts the consecutive steps of one forEach step together, every other step alone, in order", () => {
    const compiled = [item(0), item(1, 1), item(2, 1), item(3, 1), item(4, 2), item(5, 2), item(6)];
    expect(concurrentGroups(compiled, true).map((g) => g.map((i) => i.step.index))).toEqual([[0], [1, 2, 3], [4, 5], [6]]);
  });

  it('keeps every step alone when steps must run one at a time (--step)', () => {
    expect(concurrentGroups([item(0, 1), item(1, 1)], false).map((g) => g.length)).toEqual([1, 1]);
  });
});
