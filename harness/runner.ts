// Runs scenarios: build the lab, run the tutorial's steps, run the checks, tear down (always).
// Everything it has to say goes out as events; it never prints and never exits.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, NodeHandle, StartedLab } from './backends/types.ts';
import { reserveNeighbourRoom } from './backends/neighbour-table.ts';
import { runCheck } from './checks/run-check.ts';
import type { CheckOutcome } from './checks/types.ts';
import { nodeChanges } from './lab/node-changes.ts';
import { compileSteps, failedBatchLine, nodeNeeds, type Batch } from './lab/compile.ts';
import { waitForSettledLinks } from './lab/links-settled.ts';
import { LabHold } from './lab-hold.ts';
import type { Check, Command, Scenario, Step } from './lab/model.ts';
import type { EventSink, LabErrorDetails, RunEvent, ScenarioInfo, StepCommand } from './report/events.ts';
import { onAbort } from './util/abort-fanout.ts';
import { CommandFailedError, errorMessage } from './util/errors.ts';
import { mapConcurrently } from './util/concurrency.ts';

export interface RunOptions {
  backend: Backend;
  /** How many scenarios run at once, each in its own lab (1 unless said). */
  jobs?: number;
  runId: string;
  emit: EventSink;
  signal?: AbortSignal;
  /** Keep every capture's pcap in this directory (which exists), as SCENARIO-checkN-NODE.pcap. */
  pcapDir?: string;
  /** Called with the lab still up after the checks; the lab comes down when it resolves. */
  keep?: (lab: StartedLab) => Promise<void>;
  /**
   * Called with the checks done, unless `keep` is given: the lab stays up until it resolves. Runs
   * of scenarios at once hold every lab until the run's last check (runAll, lab-hold.ts).
   */
  holdLab?: () => Promise<void>;
  /** Called when the scenario has to wait for room in the neighbour table (held labs free theirs). */
  onRoomWait?: () => void;
  /** Runs each step through this (`--step`: read the node before and after, wait for Enter). */
  aroundStep?: (step: Step, node: NodeHandle, run: () => Promise<void>, signal?: AbortSignal) => Promise<void>;
  /** Called at each named moment of a run (VXLAB_TRACE prints them; tests pause there to signal). */
  atMoment?: (moment: Moment) => Promise<void>;
  /**
   * `ablate`: run each command on its own, and when one fails, report it (`command-skipped`) and
   * go on instead of breaking the lab.
   */
  skipFailingCommands?: boolean;
}

/** A named moment of a run: the lab is up, a step is about to run, a capture listens, teardown begins. */
export interface Moment {
  /** `start` is the command line's own: the run has its signal handlers and nothing is built yet. */
  name: 'start' | 'lab-up' | 'step' | 'capture' | 'teardown';
  scenario: string;
  /** The step's or check's number (1-based), for `step` and `capture`. */
  number?: number;
  /** Where the run stands, in words, as an interrupted scenario's TAP says it. */
  where: string;
}

export interface ScenarioResult {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  broken: boolean;
  /** Where the run stood when it was interrupted (then the scenario is never `ok`). */
  interrupted?: string;
}

/**
 * Runs of consecutive compiled steps from one `forEach: node` step (each other step alone), in
 * order. Steps of different nodes in a row stay one at a time even when each only configures its
 * own node: a moment `at step N` (VXLAB_PAUSE_AT, and where an interrupt landed) means the steps
 * before N are done, and tests hold a run there to look at step N-1's effect (tried 3 Dec; the
 * ssh tests caught it).
 */
export function concurrentGroups<T extends { step: Step }>(compiled: readonly T[], together: boolean): T[][] {
  const groups: T[][] = [];
  for (const item of compiled) {
    const last = groups.at(-1);
    const group = item.step.group;
    if (together && last && group !== undefined && last[0]!.step.group === group) last.push(item);
    else groups.push([item]);
  }
  return groups;
}

function stepCommand(command: Command): StepCommand {
  return command.origin.startsWith('lab:') ? { text: command.text, addedBy: command.origin.slice(4).trim() } : { text: command.text };
}

export function scenarioInfo(scenario: Scenario): ScenarioInfo {
  return { name: scenario.name, title: scenario.title, tutorial: scenario.tutorial, checks: scenario.checks.length };
}

async function runBatch(node: NodeHandle, batch: Batch, step: Step, signal?: AbortSignal): Promise<void> {
  const argv = batch.kind === 'batch' ? batch.argv : batch.command.argv;
  const result = await node.exec(argv, { timeoutMs: step.timeoutMs, ...(batch.kind === 'batch' ? { input: batch.input } : {}), ...(signal ? { signal } : {}) });
  if (result.exitCode === 0 && !result.timedOut) return;
  const failedLine = batch.kind === 'batch' ? failedBatchLine(result.stderr) : undefined;
  // A batch that hung does not say which line: name them all.
  const command =
    batch.kind === 'single'
      ? batch.command
      : failedLine !== undefined
        ? (batch.commands[failedLine - 1] ?? batch.commands[0]!)
        : { text: batch.commands.map((c) => c.text).join('\n'), origin: batch.commands.map((c) => c.origin).join(', '), argv: [] };
  // iproute2 appends "Command failed -:N" in batch mode; the kernel's own words are enough.
  const stderr = result.stderr.replace(/^Command failed -:\d+\n?/m, '');
  const what = result.timedOut ? `step ${step.index + 1} on ${node.name} timed out after ${step.timeoutMs / 1000} s` : `step ${step.index + 1} failed on ${node.name}`;
  throw new CommandFailedError(what, {
    node: node.name,
    origin: command.origin,
    command: command.text,
    exitCode: result.timedOut ? undefined : result.exitCode,
    timedOut: result.timedOut,
    stdout: result.stdout,
    stderr,
  });
}

function labErrorDetails(error: unknown): LabErrorDetails {
  if (error instanceof CommandFailedError) {
    const f = error.failure;
    const output = [f.stderr.trim(), f.stdout.trim()].filter(Boolean).join('\n');
    const exitCode = f.timedOut ? 'none: stopped at its deadline' : (f.exitCode ?? 'none: killed');
    return { message: error.what, node: f.node, at: f.origin, command: f.command, exitCode, ...(output ? { output } : {}) };
  }
  return { message: errorMessage(error) };
}

/** A file-name-safe form of a scenario or node name. */
const fileSafe = (name: string) => name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '_');

function pcapKeeper(dir: string, scenario: string, check: number): (pcap: Uint8Array, node: string) => Promise<string> {
  return async (pcap, node) => {
    const file = join(dir, `${fileSafe(scenario)}-check${check}-${fileSafe(node)}.pcap`);
    await writeFile(file, pcap);
    return file;
  };
}

/**
 * How long the links the steps brought up may take to settle (links-settled.ts): the kernel
 * deleting a 100-node lab held the RTNL for 1-2 s here; 10 s is a broken link, not a busy kernel.
 */
const LINKS_SETTLE_TIMEOUT_MS = 10_000;

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const { emit, signal } = options;
  const started = performance.now();
  // Time spent held for the scenarios beside it (holdLab) is not the scenario's own.
  let heldMs = 0;
  const result: ScenarioResult = { name: scenario.name, passed: 0, failed: 0, skipped: 0, broken: false };
  emit({ type: 'scenario-start', scenario: scenarioInfo(scenario), lab: scenario.lab.name, diagram: scenario.lab.diagram, explain: scenario.explain });
  const compiled = compileSteps(scenario, { batch: !options.skipFailingCommands });
  // Where the run stands, named in the TAP if an interrupt lands now.
  let where = 'while the lab was being built';
  // Noted when the interrupt lands: the run goes on to tear down, and that is not where it was.
  let interruptedAt = signal?.aborted ? 'before the lab was built' : undefined;
  const noteInterrupt = () => (interruptedAt ??= where);
  // From the hold on (holdLab: its checks done, its lab kept for the scenarios beside it), an interrupt leaves it ok.
  let held = false;
  const stopNoting = signal ? onAbort(signal, noteInterrupt) : () => undefined;
  const at = async (moment: Omit<Moment, 'scenario'>) => {
    where = moment.where;
    await options.atMoment?.({ ...moment, scenario: scenario.name });
  };
  const brokenLab = (error: unknown) => {
    if (signal?.aborted) throw signal.reason;
    result.broken = true;
    emit({ type: 'lab-error', scenario: scenario.name, error: labErrorDetails(error), checksNotRun: scenario.checks.map((c) => c.name) });
  };
  const runOne = async (node: NodeHandle, batch: Batch, step: Step) => {
    try {
      await runBatch(node, batch, step, signal);
    } catch (error) {
      if (!options.skipFailingCommands || !(error instanceof CommandFailedError) || signal?.aborted) throw error;
      const f = error.failure;
      emit({ type: 'command-skipped', scenario: scenario.name, node: f.node, at: f.origin, command: f.command, output: [f.stderr.trim(), f.stdout.trim()].filter(Boolean).join('\n') });
    }
  };

  try {
    let room: AsyncDisposable | undefined;
    let lab: StartedLab;
    try {
      if (options.backend.reservesNeighbourRoom) {
        where = 'while waiting for room in the neighbour table';
        room = await reserveNeighbourRoom(scenario, {
          ...(signal ? { signal } : {}),
          onWait: (reason) => {
            options.onRoomWait?.();
            emit({ type: 'waiting', scenario: scenario.name, reason });
          },
        });
        where = 'while the lab was being built';
      }
    } catch (error) {
      brokenLab(error);
      return result;
    }
    // Held until the lab is torn down: its namespaces hold their entries until then.
    await using _room = room;
    try {
      lab = await options.backend.up(scenario.lab, { runId: options.runId, nodeNeeds: nodeNeeds(scenario), changes: nodeChanges(scenario), ...(signal ? { signal } : {}) });
    } catch (error) {
      brokenLab(error);
      return result;
    }
    try {
      emit({ type: 'lab-up', scenario: scenario.name, durationMs: performance.now() - started });
      await at({ name: 'lab-up', where: 'with the lab up, before the first step' });

      try {
        // The steps of one `forEach: node` step touch one node each: they run at once (one at a time with --step).
        for (const group of concurrentGroups(compiled, !options.aroundStep)) {
          const running: Promise<void>[] = [];
          for (const { step, batches } of group) {
            signal?.throwIfAborted();
            await at({ name: 'step', number: step.index + 1, where: `at step ${step.index + 1} of ${compiled.length} (on ${step.node})` });
            emit({ type: 'step', scenario: scenario.name, node: step.node, index: step.index, commands: batches.flatMap((b) => (b.kind === 'batch' ? b.commands : [b.command]).map(stepCommand)) });
            const runStep = async () => {
              for (const batch of batches) {
                signal?.throwIfAborted();
                await runOne(lab.node(step.node), batch, step);
              }
            };
            const run = options.aroundStep ? options.aroundStep(step, lab.node(step.node), runStep, signal) : runStep();
            run.catch(() => undefined); // judged below, once the group is done: never an unhandled rejection meanwhile
            running.push(run);
          }
          // Every step of the group ends before the first failure (in step order) breaks the lab.
          const failed = (await Promise.allSettled(running)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
          signal?.throwIfAborted();
        }
        where = 'after the steps, waiting for the links they brought up';
        await waitForSettledLinks(scenario.lab.nodes.map((n) => lab.node(n.name)), {
          timeoutMs: LINKS_SETTLE_TIMEOUT_MS, onWait: (reason) => emit({ type: 'waiting', scenario: scenario.name, reason }), ...(signal ? { signal } : {}),
        });
      } catch (error) {
        brokenLab(error);
        return result;
      }

      const runOneCheck = async (i: number, check: Check): Promise<{ outcome: CheckOutcome; durationMs: number }> => {
        const checkStarted = performance.now();
        const atCapture = check.kind === 'capture' ? () => at({ name: 'capture', number: i + 1, where: `in check ${i + 1} of ${scenario.checks.length}, capturing on ${check.spec.node} ${check.spec.interface}` }) : undefined;
        let outcome: CheckOutcome;
        try {
          outcome = await runCheck(check, { lab, ...(signal ? { signal } : {}), ...(atCapture ? { listening: atCapture } : {}), ...(options.pcapDir ? { keepPcap: pcapKeeper(options.pcapDir, scenario.name, i + 1) } : {}) });
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          outcome = { status: 'fail', reason: `the check could not run: ${errorMessage(error)}`, diagnostics: {} };
        }
        return { outcome, durationMs: performance.now() - checkStarted };
      };
      const note = (i: number, check: Check, { outcome, durationMs }: { outcome: CheckOutcome; durationMs: number }) => {
        result[outcome.status === 'pass' ? 'passed' : outcome.status === 'fail' ? 'failed' : 'skipped'] += 1;
        emit({ type: 'check', scenario: scenario.name, number: i + 1, name: check.name, outcome, durationMs });
      };

      for (let i = 0; i < scenario.checks.length; ) {
        signal?.throwIfAborted();
        const group = concurrentChecks(scenario.checks, i);
        if (group.length > 1) {
          where = checkGroupWhere(group, i, scenario.checks.length);
          const done = await mapConcurrently(group, concurrentCheckJobs(options.backend.name), (check, k) => runOneCheck(i + k, check));
          group.forEach((check, k) => note(i + k, check, done[k]!));
          i += group.length;
          continue;
        }
        const check = scenario.checks[i]!;
        where = `in check ${i + 1} of ${scenario.checks.length} (${check.name})`;
        note(i, check, await runOneCheck(i, check));
        i += 1;
      }

      signal?.throwIfAborted();
      if (options.keep) {
        emit({ type: 'kept', scenario: scenario.name, hints: lab.accessHints() });
        await options.keep(lab);
      } else if (options.holdLab) {
        where = 'with its checks done, its lab held until the scenarios beside it have done theirs';
        held = true;
        const holdStarted = performance.now();
        await options.holdLab();
        heldMs = performance.now() - holdStarted;
      }
      return result;
    } finally {
      await at({ name: 'teardown', where: 'while the lab was being torn down' });
      await lab[Symbol.asyncDispose]();
    }
  } finally {
    // An interrupt that landed at any moment, teardown included, makes the scenario not ok (unless held: above).
    stopNoting();
    if (signal?.aborted && !held) result.interrupted = interruptedAt ?? where;
    emit({ type: 'scenario-end', scenario: scenario.name, passed: result.passed, failed: result.failed, skipped: result.skipped, broken: result.broken, ...(result.interrupted ? { interrupted: result.interrupted } : {}), durationMs: performance.now() - started - heldMs });
  }
}

/**
 * How many checks of a group (such as one `forEach: node` check's expansions) run at once. A
 * check with lacks or only reads for a whole 1 s window: at 16, scale-her-30's 30 checks took two windows.
 * On netns, reads asked for in one turn start from one bash (backends/netns/launch.ts), so all go
 * at once; elsewhere 16 (100 `docker exec`s at once failed the container scale run in CI twice).
 */
const concurrentCheckJobs = (backend: string) => (backend === 'netns' ? 100 : 16);

/**
 * The state checks in a row from `checks[start]` (a `forEach: node` check's expansions, or checks
 * written one after another), else that check alone. They only read tables and nothing acts
 * between them, so reading them at once changes nothing they see; one after another, a 100-node
 * lab whose tables are wrong would wait out 100 polling windows, and a tutorial's first reads
 * waited for each other (issue 12). Pings stay one at a time even when each expects an answer:
 * one ping's packets teach the other VTEPs where its node is, so with node0's `remote` wrong,
 * node1's ping beside node0's made node0's pass (lifecycle.integration.test.ts caught it).
 */
export function concurrentChecks(checks: readonly Check[], start: number): Check[] {
  const first = checks[start];
  if (first?.kind !== 'state') return first ? [first] : [];
  let end = start + 1;
  while (checks[end]?.kind === 'state') end += 1;
  return checks.slice(start, end);
}

/** Where a run is while a group of state checks reads (the moment an interrupt names). */
export function checkGroupWhere(group: readonly Check[], start: number, total: number): string {
  const template = group[0]!.template;
  const how = template !== undefined && group.every((c) => c.template === template) ? `${template}, on every node at once` : 'state checks, read at once';
  return `in checks ${start + 1} to ${start + group.length} of ${total} (${how})`;
}

export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  broken: number;
}

export async function runScenarios(scenarios: Scenario[], options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const summary: RunSummary = { passed: 0, failed: 0, skipped: 0, broken: 0 };
  options.emit({ type: 'run-start', runId: options.runId, backend: options.backend.name, scenarios: scenarios.map(scenarioInfo) });
  const results = await runAll(scenarios, options, Math.max(1, Math.min(options.jobs ?? 1, scenarios.length)));
  for (const r of results) {
    summary.passed += r.passed;
    summary.failed += r.failed;
    summary.skipped += r.skipped;
    summary.broken += r.broken ? 1 : 0;
  }
  options.emit({ type: 'run-end', ...summary, durationMs: performance.now() - started });
  return summary;
}

/**
 * Runs `jobs` scenarios at a time. Each scenario's events are held until every scenario before
 * it has ended, so reporters see them in scenario order (TAP stays in order); progress events
 * go out at once. Labs share nothing but the run id: every node and underlay is the lab's own.
 * A lab whose checks are done stays up, its slot taken by the next scenario, until every
 * scenario has done its checks (lab-hold.ts: deleting it would stall the labs beside it); one
 * scenario waiting for neighbour-table room, an error or an interrupt lets them all come down.
 */
async function runAll(scenarios: Scenario[], options: RunOptions, jobs: number): Promise<ScenarioResult[]> {
  if (jobs === 1) {
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      options.signal?.throwIfAborted();
      results.push(await runScenario(scenario, options));
      // An interrupt during teardown ends the run too (runScenario itself returns then).
      options.signal?.throwIfAborted();
    }
    return results;
  }
  const held: RunEvent[][] = scenarios.map(() => []);
  const ended = scenarios.map(() => false);
  const running = new Set<number>();
  const checked = new Set<number>();
  const results: ScenarioResult[] = [];
  const errors: unknown[] = [];
  const hold = new LabHold();
  const runs: Promise<void>[] = [];
  let head = 0;
  let next = 0;
  const progress = () =>
    options.emit({ type: 'progress', done: checked.size, total: scenarios.length, running: [...running].sort((a, b) => a - b).map((i) => scenarios[i]!.name) });
  // Done, for progress, once its checks are: what is left of a held lab is its teardown.
  const checksDone = (i: number) => {
    if (checked.has(i)) return;
    checked.add(i);
    running.delete(i);
    progress();
  };
  const release = () => {
    while (head < scenarios.length && ended[head]) {
      head += 1;
      for (const event of held[head] ?? []) options.emit(event);
      if (head < scenarios.length) held[head] = [];
    }
  };
  const worker = async () => {
    while (next < scenarios.length && errors.length === 0 && !options.signal?.aborted) {
      const i = next++;
      running.add(i);
      progress();
      let reachedHold!: () => void;
      const heldUp = new Promise<void>((resolve) => (reachedHold = resolve));
      const run = runScenario(scenarios[i]!, {
        ...options,
        emit: (event) => (i === head ? options.emit(event) : held[i]!.push(event)),
        holdLab: () => {
          checksDone(i);
          reachedHold();
          return hold.until(options.signal);
        },
        onRoomWait: () => hold.releaseAll(),
      })
        .then((result) => {
          results[i] = result;
          options.signal?.throwIfAborted();
        })
        .catch((error: unknown) => {
          errors.push(error);
          hold.releaseAll();
        })
        .finally(() => {
          ended[i] = true;
          release();
          checksDone(i);
        });
      runs.push(run);
      await Promise.race([heldUp, run]);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  hold.releaseAll();
  await Promise.all(runs);
  if (errors.length > 0) {
    // Interrupted (or worse): what the scenarios that did start said comes out in order first.
    for (let i = head; i < scenarios.length; i++) for (const event of held[i]!.splice(0)) options.emit(event);
    throw errors[0];
  }
  return results;
}
