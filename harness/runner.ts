// Runs scenarios: build the lab, run the tutorial's steps, run the checks, tear down (always).
// Everything it has to say goes out as events; it never prints and never exits.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, NodeHandle, StartedLab } from './backends/types.ts';
import { runCheck } from './checks/run-check.ts';
import type { CheckOutcome } from './checks/types.ts';
import { nodeChanges } from './lab/node-changes.ts';
import { compileSteps, failedBatchLine, nodeNeeds, type Batch } from './lab/compile.ts';
import type { Command, Scenario, Step } from './lab/model.ts';
import type { EventSink, LabErrorDetails, ScenarioInfo, StepCommand } from './report/events.ts';
import { CommandFailedError, errorMessage } from './util/errors.ts';

export interface RunOptions {
  backend: Backend;
  runId: string;
  emit: EventSink;
  signal?: AbortSignal;
  /** Keep every capture's pcap in this directory (which exists), as SCENARIO-checkN-NODE.pcap. */
  pcapDir?: string;
  /** Called with the lab still up after the checks; the lab comes down when it resolves. */
  keep?: (lab: StartedLab) => Promise<void>;
  /** Runs each step through this (`--step`: read the node before and after, wait for Enter). */
  aroundStep?: (step: Step, node: NodeHandle, run: () => Promise<void>, signal?: AbortSignal) => Promise<void>;
}

export interface ScenarioResult {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  broken: boolean;
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

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const { emit, signal } = options;
  const started = performance.now();
  const result: ScenarioResult = { name: scenario.name, passed: 0, failed: 0, skipped: 0, broken: false };
  emit({ type: 'scenario-start', scenario: scenarioInfo(scenario), lab: scenario.lab.name, diagram: scenario.lab.diagram, explain: scenario.explain });
  const compiled = compileSteps(scenario);
  const brokenLab = (error: unknown) => {
    if (signal?.aborted) throw signal.reason;
    result.broken = true;
    emit({ type: 'lab-error', scenario: scenario.name, error: labErrorDetails(error), checksNotRun: scenario.checks.map((c) => c.name) });
  };

  try {
    let lab: StartedLab;
    try {
      lab = await options.backend.up(scenario.lab, { runId: options.runId, nodeNeeds: nodeNeeds(scenario), changes: nodeChanges(scenario), ...(signal ? { signal } : {}) });
    } catch (error) {
      brokenLab(error);
      return result;
    }
    await using _teardown = lab;
    emit({ type: 'lab-up', scenario: scenario.name, durationMs: performance.now() - started });

    try {
      for (const { step, batches } of compiled) {
        emit({ type: 'step', scenario: scenario.name, node: step.node, index: step.index, commands: batches.flatMap((b) => (b.kind === 'batch' ? b.commands : [b.command]).map(stepCommand)) });
        const runStep = async () => {
          for (const batch of batches) {
            signal?.throwIfAborted();
            await runBatch(lab.node(step.node), batch, step, signal);
          }
        };
        await (options.aroundStep ? options.aroundStep(step, lab.node(step.node), runStep, signal) : runStep());
        signal?.throwIfAborted();
      }
    } catch (error) {
      brokenLab(error);
      return result;
    }

    for (const [i, check] of scenario.checks.entries()) {
      signal?.throwIfAborted();
      const checkStarted = performance.now();
      let outcome: CheckOutcome;
      try {
        outcome = await runCheck(check, { lab, ...(signal ? { signal } : {}), ...(options.pcapDir ? { keepPcap: pcapKeeper(options.pcapDir, scenario.name, i + 1) } : {}) });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        outcome = { status: 'fail', reason: `the check could not run: ${errorMessage(error)}`, diagnostics: {} };
      }
      result[outcome.status === 'pass' ? 'passed' : outcome.status === 'fail' ? 'failed' : 'skipped'] += 1;
      emit({ type: 'check', scenario: scenario.name, number: i + 1, name: check.name, outcome, durationMs: performance.now() - checkStarted });
    }

    signal?.throwIfAborted();
    if (options.keep) {
      emit({ type: 'kept', scenario: scenario.name, hints: lab.accessHints() });
      await options.keep(lab);
    }
    return result;
  } finally {
    emit({ type: 'scenario-end', scenario: scenario.name, passed: result.passed, failed: result.failed, skipped: result.skipped, broken: result.broken, durationMs: performance.now() - started });
  }
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
  for (const scenario of scenarios) {
    const r = await runScenario(scenario, options);
    summary.passed += r.passed;
    summary.failed += r.failed;
    summary.skipped += r.skipped;
    summary.broken += r.broken ? 1 : 0;
  }
  options.emit({ type: 'run-end', ...summary, durationMs: performance.now() - started });
  return summary;
}
