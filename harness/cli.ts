// The command line: parses arguments, loads scenarios, picks a reporter, runs, and exits.
// The only module that exits the process or maps errors to exit codes.
import { mkdir } from 'node:fs/promises';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
// Verbs other than a run, the container backend and the reporters a run does not use are
// imported when needed (dynamic imports: in the compiled CLI, modules initialised on first use).
import { BACKEND_NAMES, createBackend } from './backends/registry.ts';
import { ledgerDir, openLedger, type LedgerEntry } from './backends/neighbour-ledger.ts';
import { refuseLabsTooBigForTheTable } from './backends/neighbour-table.ts';
import { nodeChanges } from './lab/node-changes.ts';
import { HostsNotRestoredError, hostsNotRestored } from './backends/ssh/host-io.ts';
import type { Scenario } from './lab/model.ts';
import type { AblateBy } from './ablate/plan.ts';
import type { EventSink } from './report/events.ts';
import { createTapWriter } from './report/tap.ts';
import { momentTracer } from './util/moments.ts';
import { runScenarios } from './runner.ts';
import { needsRootlessRerun, rerunRootlessIfNeeded } from './rootless.ts';
import { listScenarioNames, loadScenario, type LoadOptions } from './scenario/resolve.ts';
import { InterruptedError, PrerequisiteError, UsageError, ValidationError, errorMessage } from './util/errors.ts';
import { handSignalsTo } from './util/early-signals.ts';
import { onReaderGone } from './util/reader-gone.ts';
import { parseShard, shardOf } from './util/shard.ts';
import { skipHelpCache } from './util/no-help-cache.ts';
import { newRunId } from './util/run-id.ts';

// 141 = 128 + SIGPIPE: what a shell reports for a program its pipe's reader left behind.
const EXIT = { ok: 0, failed: 1, invalid: 2, prerequisite: 3, notRestored: 4, SIGINT: 130, SIGPIPE: 141, SIGTERM: 143 } as const;

const REPORTERS = ['pretty', 'tap', 'tap13', 'junit'] as const;
type Reporter = (typeof REPORTERS)[number];
/** The TAP version a reporter speaks, if it speaks TAP. */
const tapVersion = (r: Reporter) => (r === 'tap' ? 14 : r === 'tap13' ? 13 : undefined);

/** Set when stdout's reader has gone; a run in progress is then interrupted as by SIGPIPE. */
let stdoutGone = false;
let interruptRun: ((signal: NodeJS.Signals) => void) | undefined;
onReaderGone(process.stdout, () => {
  stdoutGone = true;
  interruptRun?.('SIGPIPE');
});
// Nothing more can be said on a closed stderr; only keep its error from crashing the run.
onReaderGone(process.stderr, () => undefined);

// A signal that lands before a run has its handlers (or before this module was loaded: see
// main.ts) is kept, and the run starts interrupted: however early it ends, it leaves TAP that says so.
let pendingSignal: NodeJS.Signals | undefined;
handSignalsTo((signal) => {
  if (interruptRun) interruptRun(signal);
  else pendingSignal ??= signal;
});

function out(text: string): void {
  if (!stdoutGone) process.stdout.write(text);
}

async function finish(code: number): Promise<never> {
  // A signal no run took (list, validate...) still ends the process as that signal would.
  if (pendingSignal && code === EXIT.ok) code = EXIT[pendingSignal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'];
  // Let stdout drain before exiting so piped TAP is never cut short.
  if (!stdoutGone) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(stdoutGone ? EXIT.SIGPIPE : code);
}

async function reporterFor(name: Reporter): Promise<EventSink> {
  const version = tapVersion(name);
  if (version !== undefined) return createTapWriter(out, { version });
  if (name === 'junit') return (await import('./report/junit.ts')).createJunitWriter(out);
  return (await import('./report/pretty.ts')).createPrettyWriter(out, { color: process.stdout.isTTY === true && !process.env.NO_COLOR });
}

/** Reports an error that ends the run before any lab exists, and returns its exit code. */
async function reportFatal(error: unknown, reporter: Reporter): Promise<number> {
  const junit = async () => (await import('./report/junit.ts')).createJunitWriter(out);
  if (error instanceof ValidationError) {
    process.stderr.write(`${error.message}\n`);
    if (tapVersion(reporter)) out(`TAP version ${tapVersion(reporter)}\nBail out! invalid scenario: ${error.issues[0] ? error.message.split('\n')[0] : ''}\n`);
    if (reporter === 'junit') (await junit())({ type: 'bail', reason: `invalid scenario: ${error.message.split('\n')[0] ?? ''}` });
    return EXIT.invalid;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`vxlab: ${error.message}\n`);
    return EXIT.invalid;
  }
  if (error instanceof PrerequisiteError) {
    process.stderr.write(`vxlab: ${error.missing}; ${error.fix}\n`);
    if (tapVersion(reporter)) out(`TAP version ${tapVersion(reporter)}\n1..0 # SKIP ${error.missing}\n`);
    if (reporter === 'junit') (await junit())({ type: 'skip-all', reason: error.missing });
    return EXIT.prerequisite;
  }
  throw error;
}

async function loadAll(names: string[], options: LoadOptions = {}): Promise<Scenario[]> {
  const results = await Promise.allSettled(names.map((n) => loadScenario(n, options)));
  const issues = results.flatMap((r) => (r.status === 'rejected' && r.reason instanceof ValidationError ? r.reason.issues : []));
  if (issues.length > 0) throw new ValidationError(issues);
  const other = results.find((r) => r.status === 'rejected');
  if (other?.status === 'rejected') throw other.reason;
  return results.map((r) => (r as PromiseFulfilledResult<Scenario>).value);
}

interface RunArgs {
  scenarios: string[];
  all: boolean;
  reporter: Reporter;
  backend: string;
  keep: boolean;
  image: string | undefined;
  privileged: boolean;
  hosts: string | undefined;
  shard: string | undefined;
  pcapDir: string | undefined;
  step: boolean;
  jobs: number | undefined;
}

async function run(args: RunArgs): Promise<number> {
  const controller = new AbortController();
  let releaseKeep: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (releaseKeep) return releaseKeep();
    if (!controller.signal.aborted) controller.abort(new InterruptedError(signal));
  };
  // No SIGPIPE handler: Node ignores SIGPIPE, and a handler would also catch the SIGPIPE of a
  // write to any child's stdin that closed early (`ip -batch -`), not only stdout's.
  // The early handlers (above) pass every signal on to this run.
  interruptRun = onSignal;
  if (stdoutGone) onSignal('SIGPIPE');
  if (pendingSignal) onSignal(pendingSignal);
  const waitForCtrlC = () =>
    new Promise<void>((resolve) => {
      // Signal handlers do not keep Node alive: with nothing else pending (a container lab has
      // no child process of ours) it would exit at once, leaving the lab up.
      const hold = setInterval(() => undefined, 2 ** 30);
      releaseKeep = () => {
        clearInterval(hold);
        resolve();
      };
    });
  const emit = await reporterFor(args.reporter);
  // --step talks on stderr, so stdout stays the reporter's (TAP stays parseable).
  const stepper = args.step ? (await import('./commands/step.ts')).createStepper((text) => process.stderr.write(text), process.stdin) : undefined;
  const atMoment = momentTracer(controller.signal);
  let machineChecked: Promise<void> | undefined;
  try {
    await atMoment({ name: 'start', scenario: args.scenarios.join(' ') || 'all', where: 'before the run began' });
    controller.signal.throwIfAborted();
    if (args.all && args.scenarios.length > 0) throw new UsageError('give scenario names or --all, not both');
    const shard = args.shard === undefined ? undefined : parseShard(args.shard);
    const selected = args.all ? await listScenarioNames() : args.scenarios;
    const names = shard ? shardOf(selected, shard) : selected;
    if (shard && selected.length > 0 && names.length === 0) {
      // More shards than scenarios: this one has nothing to run, which is not a failure.
      emit({ type: 'skip-all', reason: `shard ${shard.index}/${shard.count} of ${selected.length} scenarios is empty` });
      return EXIT.ok;
    }
    if (names.length === 0) throw new UsageError('name a scenario to run (see `npm run lab -- list`), or pass --all');
    const jobs = jobsFor(args);
    if ((args.image !== undefined || args.privileged) && args.backend !== 'container') {
      throw new UsageError('--image and --privileged apply to the container backend only: add --backend container');
    }
    if (args.hosts !== undefined && args.backend !== 'ssh') throw new UsageError('--hosts applies to the ssh backend only: add --backend ssh');
    const backend = await createBackend(args.backend, { ...(args.image !== undefined ? { image: args.image } : {}), privileged: args.privileged, ...(args.hosts !== undefined ? { hosts: args.hosts, notice } : {}) });
    // The backend checks this machine while the scenarios load (start-up time), unless a rootless
    // rerun comes first; its verdict is awaited after theirs, so a bad scenario is still exit 2.
    const rerunFirst = backend.supportsRootless && (await needsRootlessRerun());
    machineChecked = rerunFirst ? undefined : backend.checkPrerequisites();
    machineChecked?.catch(() => undefined);
    // On ssh the policy is the only layer between a step and a real host: it is scoped at load.
    const scenarios = await loadAll(names, { onHosts: args.backend === 'ssh' });
    controller.signal.throwIfAborted();
    // Not root: run again inside a user namespace of our own (validation above already passed).
    if (rerunFirst) {
      const rootless = await rerunRootlessIfNeeded();
      if (rootless !== undefined) return rootless;
    }
    await (machineChecked ?? backend.checkPrerequisites());
    // The neighbour table that fills up is this kernel's: ssh hosts have their own. Each lab then
    // waits for room and reserves it before it is built (runner.ts).
    if (backend.reservesNeighbourRoom) await refuseLabsTooBigForTheTable(scenarios);
    const runId = newRunId();
    // The run id is known before preflight: the ssh backend claims the hosts in preflight's round trip.
    await backend.preflight?.(scenarios.map((s) => ({ lab: s.lab, changes: nodeChanges(s) })), { runId });
    if (args.pcapDir !== undefined) await mkdir(args.pcapDir, { recursive: true });
    const summary = await runScenarios(scenarios, {
      ...(args.pcapDir !== undefined ? { pcapDir: args.pcapDir } : {}),
      backend,
      runId,
      jobs,
      emit,
      signal: controller.signal,
      ...(args.keep ? { keep: waitForCtrlC } : {}),
      ...(stepper ? { aroundStep: stepper.aroundStep } : {}),
      atMoment,
    });
    return summary.failed > 0 || summary.broken > 0 ? EXIT.failed : EXIT.ok;
  } catch (error) {
    if (error instanceof InterruptedError) {
      emit({ type: 'bail', reason: `${error.message}; the lab was torn down` });
      return EXIT[error.signal === 'SIGTERM' || error.signal === 'SIGPIPE' ? error.signal : 'SIGINT'];
    }
    const notRestored = hostsNotRestored(error);
    if (notRestored.length > 0) {
      // A host left changed is a result with a name, not a crash: the message says what is left where.
      emit({ type: 'bail', reason: 'a host could not be restored' });
      process.stderr.write(`vxlab: ${notRestored.map((e) => e.message).join('\n')}\nvxlab: see what is left above; remove it by hand, or run \`npm run lab -- clean --backend ssh --hosts ${args.hosts ?? 'FILE'}\` once the host answers\n`);
      return EXIT.notRestored;
    }
    return await reportFatal(error, args.reporter);
  } finally {
    stepper?.close();
    // Its probes end before the CLI does, whatever ended the run.
    await machineChecked?.catch(() => undefined);
  }
}

interface AblateArgs {
  scenarios: string[];
  all: boolean;
  by: AblateBy;
  jobs: number;
  reporter: 'table' | 'tap';
}

/** `ablate`: exit 0 when every check depends on some step (or says why not), 1 otherwise. */
async function ablateCommand(args: AblateArgs): Promise<number> {
  const controller = new AbortController();
  interruptRun = (signal) => controller.abort(new InterruptedError(signal));
  if (pendingSignal) interruptRun(pendingSignal);
  let tapStarted = false;
  try {
    if (args.all && args.scenarios.length > 0) throw new UsageError('give scenario names or --all, not both');
    const names = args.all ? await listScenarioNames() : args.scenarios;
    if (names.length === 0) throw new UsageError('name a scenario to ablate, or pass --all');
    if (!Number.isInteger(args.jobs) || args.jobs < 1) throw new UsageError(`--jobs expects a whole number of at least 1, got ${args.jobs}`);
    const scenarios = await loadAll(names);
    const backend = await createBackend('netns');
    const rootless = await rerunRootlessIfNeeded();
    if (rootless !== undefined) return rootless;
    await backend.checkPrerequisites();
    if (args.reporter === 'tap') {
      out(`TAP version 14\n1..${scenarios.length}\n`);
      tapStarted = true;
    }
    const { ablateAll } = await import('./commands/ablate.ts');
    const { renderTable, tapSubtest } = await import('./ablate/render.ts');
    const started = performance.now();
    const analyses = await ablateAll(scenarios, { backend, by: args.by, jobs: args.jobs, signal: controller.signal, ...(process.env.VXLAB_TRACE === '1' ? { progress: (t: string) => process.stderr.write(t) } : {}) });
    const seconds = performance.now() - started;
    for (const [i, analysis] of analyses.entries()) out(args.reporter === 'tap' ? tapSubtest(analysis, i + 1) : `${i > 0 ? '\n' : ''}${renderTable(analysis)}`);
    if (args.reporter === 'table' && analyses.length > 1) out(`\n${analyses.length} scenarios ablated by ${args.by} in ${(seconds / 1000).toFixed(1)} s\n`);
    else if (args.reporter === 'tap') out(`# ablated by ${args.by} in ${(seconds / 1000).toFixed(1)} s\n`);
    const ok = analyses.every((a) => a.ok);
    return ok ? EXIT.ok : EXIT.failed;
  } catch (error) {
    if (error instanceof InterruptedError) {
      if (args.reporter === 'tap') out(`${tapStarted ? '' : 'TAP version 14\n'}Bail out! ${error.message}; the labs were torn down\n`);
      else process.stderr.write(`vxlab: ${error.message}; the labs were torn down\n`);
      return EXIT[error.signal === 'SIGTERM' || error.signal === 'SIGPIPE' ? error.signal : 'SIGINT'];
    }
    return await reportFatal(error, args.reporter === 'tap' ? 'tap' : 'pretty');
  }
}

/**
 * Runs a learner's verb (`up`, `exec`, `shell`, `check`, `status`, `down`): its errors are said, not
 * thrown. Ctrl-C ends it at once (what it asked a supervisor to do stops at its own deadline), except
 * for a verb that takes signals itself (`up` stops the supervisor it started).
 */
async function labVerb(verb: () => Promise<number>, options: { ownSignals?: boolean } = {}): Promise<number> {
  if (!options.ownSignals) {
    interruptRun = (signal) => void finish(EXIT[signal === 'SIGTERM' || signal === 'SIGPIPE' ? signal : 'SIGINT']);
    if (pendingSignal) interruptRun(pendingSignal);
  }
  try {
    return await verb();
  } catch (error) {
    if (error instanceof ValidationError || error instanceof UsageError || error instanceof PrerequisiteError) return reportFatal(error, 'pretty');
    process.stderr.write(`vxlab: ${errorMessage(error)}\n`);
    if (error instanceof InterruptedError) return EXIT[error.signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'];
    return EXIT.failed;
  }
}

/**
 * Scenarios run at once. The default was measured on a 2-core machine (NOTES, issue 12): past 6,
 * `--all` got no faster, since building and deleting devices serialises on the kernel's RTNL lock.
 */
export const DEFAULT_JOBS = 6;

function jobsFor(args: RunArgs): number {
  if (args.jobs !== undefined && (!Number.isInteger(args.jobs) || args.jobs < 1)) throw new UsageError(`--jobs takes a whole number from 1 up, got ${args.jobs}`);
  // Interactive runs and the container engine (which holds one network per subnet) go one at a time.
  // The ssh backend's hosts are one machine per node: two scenarios at once would share them.
  if (args.keep || args.step || args.backend === 'container' || args.backend === 'ssh') {
    if (args.jobs !== undefined && args.jobs > 1) throw new UsageError('--jobs above 1 does not go with --keep, --step or the container and ssh backends: they run one scenario at a time');
    return 1;
  }
  return args.jobs ?? DEFAULT_JOBS;
}

async function list(): Promise<number> {
  const names = await listScenarioNames();
  const scenarios = await loadAll(names);
  const width = Math.max(...names.map((n) => n.length));
  for (const s of scenarios) out(`${s.name.padEnd(width)}  ${String(s.checks.length).padStart(2)} checks  ${s.title}  (${s.tutorial})\n`);
  return EXIT.ok;
}

/** What a backend left alone on a host (another tool's device), said on stderr: stdout is the reporter's. */
const notice = (text: string) => void process.stderr.write(`vxlab: ${text}\n`);

/**
 * Removes the neighbour-table room reserved by runs killed outright (SIGKILL): no lab waits on it,
 * but it is a leftover. A ledger that cannot be read is said on stderr (undefined): the rest of
 * `clean` goes on, and it exits 1.
 */
async function forgetDeadReservations(): Promise<LedgerEntry[] | undefined> {
  try {
    return (await (await openLedger(ledgerDir(), { create: false }))?.forgetDead()) ?? [];
  } catch (error) {
    notice(errorMessage(error));
    return undefined;
  }
}

/** Cleans one backend's dead runs, or every backend's; a backend whose engine is missing has nothing to clean. */
async function clean(backendName: string | undefined, hosts: string | undefined): Promise<number> {
  if (hosts !== undefined && backendName !== 'ssh') throw new UsageError('--hosts applies to the ssh backend only: add --backend ssh');
  let removed = 0;
  for (const name of backendName ? [backendName] : BACKEND_NAMES) {
    let report;
    try {
      // The ssh backend knows no hosts unless told: with every backend, it is skipped.
      if (name === 'ssh' && hosts === undefined) {
        if (backendName) throw new UsageError('clean --backend ssh needs --hosts FILE (or --hosts vagrant[:DIR])');
        continue;
      }
      report = await (await createBackend(name, hosts !== undefined ? { hosts, notice } : {})).clean();
    } catch (error) {
      if (error instanceof HostsNotRestoredError) {
        // A host that cannot be put back is named with what is left on it: a result, not a crash.
        process.stderr.write(`vxlab: ${error.message}\n`);
        return EXIT.notRestored;
      }
      if (backendName || !(error instanceof PrerequisiteError)) throw error;
      out(`skipped the ${name} backend: ${error.missing}\n`);
      continue;
    }
    for (const [runId, count] of report.removed) out(`removed run ${runId}: ${count} ${report.unit[count === 1 ? 0 : 1]}\n`);
    for (const runId of report.live) out(`left run ${runId} alone: it is still running\n`);
    removed += report.removed.size;
  }
  // Labs brought `up` whose supervisor died: their nodes are gone (or removed above), so is their record.
  for (const record of await (await import('./learner/records.ts')).forgetDeadLabs()) out(`forgot lab ${record.name}: its supervisor (PID ${record.harnessPid}) is gone\n`);
  // ssh hosts have neighbour tables of their own.
  const forgotten = backendName === 'ssh' ? [] : await forgetDeadReservations();
  for (const e of forgotten ?? []) out(`released the neighbour-table room of ${e.scenario} (${e.entries} entries): its run (PID ${e.harnessPid}) is gone\n`);
  if (removed === 0) out('nothing to clean\n');
  return forgotten ? EXIT.ok : EXIT.failed;
}

async function image(): Promise<number> {
  try {
    const [{ checkContainerPrerequisites }, { ensureNodeImage }, { getEngine }] = await Promise.all([
      import('./backends/container/prerequisites.ts'),
      import('./backends/container/image.ts'),
      import('./backends/container/engine.ts'),
    ]);
    await checkContainerPrerequisites();
    const built = await ensureNodeImage(await getEngine());
    const size = `${(built.sizeBytes / 1e6).toFixed(1)} MB`;
    out(built.built ? `built ${built.name} (${size}) in ${(built.buildMs / 1000).toFixed(1)} s\n` : `${built.name} (${size}) is up to date\n`);
    return EXIT.ok;
  } catch (error) {
    return await reportFatal(error, 'pretty');
  }
}

async function validate(files: string[]): Promise<number> {
  const results = await Promise.allSettled(files.map((f) => loadScenario(f)));
  let code: number = EXIT.ok;
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') {
      out(`${r.value.file}: ok (${r.value.steps.length} steps, ${r.value.checks.length} checks, lab ${r.value.lab.name})\n`);
    } else if (r.reason instanceof ValidationError) {
      process.stderr.write(`${r.reason.message}\n`);
      code = EXIT.invalid;
    } else {
      process.stderr.write(`${files[i]}: ${errorMessage(r.reason)}\n`);
      code = EXIT.invalid;
    }
  }
  return code;
}

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const defaultReporter: Reporter = process.stdout.isTTY ? 'pretty' : 'tap';
  const parser = yargs(argv)
    .scriptName('npm run lab --')
    .usage('$0 [scenario...] [options]\n\nBuilds each scenario\'s lab, runs the tutorial\'s commands, checks what the tutorial says you should see, and tears the lab down.')
    .command(
      '$0 [scenarios..]',
      'run scenarios by name (scenarios/NAME.yaml) or path',
      (y) =>
        y
          .positional('scenarios', { type: 'string', array: true, default: [] as string[], describe: 'scenario names or paths to YAML files' })
          .option('all', { type: 'boolean', default: false, describe: 'run every scenario in scenarios/' })
          .option('reporter', { choices: REPORTERS, default: defaultReporter, describe: 'output format (pretty on a terminal, tap otherwise; tap13 for TAP 13 consumers such as prove; junit writes JUnit XML when the run ends)' })
          .option('backend', { type: 'string', default: 'netns', describe: `where nodes run: ${BACKEND_NAMES.join(', ')}` })
          .option('keep', { type: 'boolean', default: false, describe: 'keep the lab up after the checks until Ctrl-C' })
          .option('step', { type: 'boolean', default: false, describe: 'after each step, show what it changed on its node and wait for Enter (on stderr)' })
          .option('image', { type: 'string', describe: 'container backend: run nodes from this image instead of the one vxlab builds' })
          .option('pcap-dir', { type: 'string', describe: 'keep every capture as DIR/SCENARIO-checkN-NODE.pcap (classic libpcap; Wireshark opens it), named in the TAP' })
          .option('jobs', { type: 'number', describe: `run this many scenarios at once, each in its own lab (default ${DEFAULT_JOBS}; TAP stays in scenario order)` })
          .option('shard', { type: 'string', describe: 'run only the K-th of N slices of the selected scenarios (K/N, e.g. 1/2): for CI jobs' })
          .option('privileged', { type: 'boolean', default: false, describe: 'container backend: privileged nodes instead of NET_ADMIN and NET_RAW' })
          .option('hosts', { type: 'string', describe: 'ssh backend: YAML mapping each lab node to an SSH host, or vagrant[:DIR] for `vagrant ssh-config` there' }),
      async (a) => {
        code = await run({ scenarios: a.scenarios.map(String), all: a.all, reporter: a.reporter, backend: a.backend, keep: a.keep, image: a.image, privileged: a.privileged, hosts: a.hosts, shard: a.shard, pcapDir: a.pcapDir, step: a.step, jobs: a.jobs });
      },
    )
    .command(
      'ablate [scenarios..]',
      'mutation test on the real kernel: run the scenario without each command (or step) and show which checks fail without it; exit 1 if a check depends on none',
      (y) =>
        y
          .positional('scenarios', { type: 'string', array: true, default: [] as string[], describe: 'scenario names or paths to YAML files' })
          .option('all', { type: 'boolean', default: false, describe: 'ablate every scenario in scenarios/' })
          .option('by', { choices: ['command', 'step'] as const, default: 'command' as const, describe: 'leave out one command at a time, or one whole step (fewer runs)' })
          .option('jobs', { type: 'number', default: 2, describe: 'labs built side by side' })
          .option('reporter', { choices: ['table', 'tap'] as const, default: 'table' as const, describe: 'a table of commands against the checks they cause, or TAP (one point per check)' }),
      async (a) => {
        code = await ablateCommand({ scenarios: a.scenarios.map(String), all: a.all, by: a.by, jobs: a.jobs, reporter: a.reporter });
      },
    )
    .command('list', 'list the scenarios with their titles', {}, async () => {
      code = await list();
    })
    .command(
      'clean',
      'remove what crashed runs left behind (never touches a running lab)',
      (y) =>
        y
          .option('backend', { type: 'string', describe: `only this backend's leftovers (${BACKEND_NAMES.join(', ')}); every backend's when left out` })
          .option('hosts', { type: 'string', describe: 'ssh backend: the hosts file (or vagrant[:DIR]) whose hosts to restore' }),
      async (a) => {
        code = await clean(a.backend, a.hosts);
      },
    )
    .command('image', "build the container backend's node image from this machine's programs (done on first use too)", {}, async () => {
      code = await image();
    })
    .command(
      'report <files..>',
      'one summary of TAP files from runs (shards, backends): exit 0 all passed, 1 a failure, 2 a malformed or cut-short file',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, demandOption: true })
          .option('markdown', { type: 'boolean', default: false, describe: 'GitHub-flavoured Markdown (for $GITHUB_STEP_SUMMARY) instead of text' })
          .option('junit', { type: 'string', describe: 'also write JUnit XML to this file' }),
      async (a) => {
        code = await (await import('./commands/report.ts')).report(a.files.map(String), { markdown: a.markdown, junit: a.junit }, out, (t) => process.stderr.write(t));
      },
    )
    .command(
      'explain <scenario>',
      "the scenario in plain words: the tutorial's commands node by node, then what each check asserts and why",
      (y) => y.positional('scenario', { type: 'string', demandOption: true, describe: 'scenario name or path' }),
      async (a) => {
        try {
          out(await (await import('./commands/explain.ts')).explain(a.scenario));
        } catch (error) {
          code = await reportFatal(error, 'pretty');
        }
      },
    )
    .command(
      'graph <scenario>',
      "the scenario's lab as a Mermaid flowchart: nodes, underlay, VTEPs, bridges, guest namespaces",
      (y) =>
        y
          .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario name or path' })
          .option('fenced', { type: 'boolean', default: false, describe: 'wrap it in a ```mermaid block, for Markdown' }),
      async (a) => {
        try {
          out(await (await import('./commands/graph.ts')).graph(a.scenario, { fenced: a.fenced }));
        } catch (error) {
          code = await reportFatal(error, 'pretty');
        }
      },
    )
    .command(
      'up <scenario>',
      "build the scenario's lab and leave it running in the background (until `down`); --bare builds only the nodes and the underlay, for typing the tutorial yourself",
      (y) =>
        y
          .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario name' })
          .option('bare', { type: 'boolean', default: false, describe: "don't run the steps: type them with `shell` or `exec`, then `check`" })
          .option('backend', { type: 'string', default: 'netns', describe: `where nodes run: ${BACKEND_NAMES.join(', ')}` }),
      async (a) => {
        code = await labVerb(async () => {
          // A learner's lab is the machine's own (netns) or its engine's: real hosts take whole runs.
          if (a.backend === 'ssh') throw new UsageError(`up runs labs on the netns and container backends; on ssh hosts run the scenario whole: npm run lab -- ${a.scenario} --backend ssh --hosts FILE`);
          const scenario = await loadScenario(a.scenario);
          const backend = await createBackend(a.backend);
          // As a run does: a lab whose checks the kernel's neighbour table could never hold is refused (exit 3), nothing built.
          if (backend.reservesNeighbourRoom) await refuseLabsTooBigForTheTable([scenario]);
          await (await import('./commands/up.ts')).up(scenario.name, scenario.file, { backend: a.backend, bare: a.bare }, out);
          return EXIT.ok;
        }, { ownSignals: true });
      },
    )
    .command('__supervise <scenario>', false, (y) => y.positional('scenario', { type: 'string', demandOption: true }).option('bare', { type: 'boolean', default: false }).option('backend', { type: 'string', default: 'netns' }), async (a) => {
      const { supervise } = await import('./learner/supervisor.ts');
      // A SIGTERM from `up` (its Ctrl-C) before the supervisor had its handlers: it builds nothing, or tears down what it built.
      const stop = new AbortController();
      interruptRun = () => stop.abort();
      if (pendingSignal) stop.abort();
      code = await supervise({ scenario: await loadScenario(a.scenario, { onHosts: a.backend === 'ssh' }), backend: await createBackend(a.backend), bare: a.bare, readyFd: 3, stopped: stop.signal });
    })
    .command(
      'exec <lab> <node>',
      'run one command in a node of a running lab: exec NAME NODE -- CMD...',
      (y) =>
        y
          .positional('lab', { type: 'string', demandOption: true })
          .positional('node', { type: 'string', demandOption: true })
          .option('timeout', { type: 'number', describe: 'seconds before the command is stopped (30 unless said)' }),
      async (a) => {
        code = await labVerb(async () => {
          const { execInLab, shellExitCode } = await import('./commands/exec.ts');
          const result = await execInLab(a.lab, a.node, ((a as { '--'?: unknown[] })['--'] ?? []).map(String), a.timeout ? a.timeout * 1000 : undefined);
          out(result.stdout);
          process.stderr.write(result.stderr);
          return shellExitCode(result);
        });
      },
    )
    .command(
      'shell <lab> <node>',
      "the tutorial's prompt on a node of a running lab: type its commands, `exit` to leave",
      (y) => y.positional('lab', { type: 'string', demandOption: true }).positional('node', { type: 'string', demandOption: true }),
      async (a) => {
        code = await labVerb(async () => {
          const { shell } = await import('./commands/shell.ts');
          return shell(a.lab, a.node, { input: process.stdin, out, err: (t) => process.stderr.write(t), terminal: process.stdin.isTTY === true && process.stdout.isTTY === true });
        });
      },
    )
    .command(
      'check <lab>',
      "run the scenario's checks against its running lab (steps typed by hand or run by `up`); a failing check names the tutorial commands that look missing",
      (y) => y.positional('lab', { type: 'string', demandOption: true }).option('reporter', { choices: REPORTERS, default: defaultReporter }),
      async (a) => {
        code = await labVerb(async () => {
          const summary = await (await import('./commands/check.ts')).checkLab(a.lab, await reporterFor(a.reporter));
          return summary.failed > 0 || summary.broken > 0 ? EXIT.failed : EXIT.ok;
        });
      },
    )
    .command('status', 'list the labs that are up', {}, async () => {
      code = await labVerb(async () => {
        await (await import('./commands/status.ts')).status(out);
        return EXIT.ok;
      });
    })
    .command(
      'down <lab>',
      'tear down a lab brought up with `up`',
      (y) => y.positional('lab', { type: 'string', demandOption: true }),
      async (a) => {
        code = await labVerb(async () => {
          await (await import('./commands/down.ts')).down(a.lab, out);
          return EXIT.ok;
        });
      },
    )
    .command(
      'validate <files..>',
      'check scenario files without running them',
      (y) => y.positional('files', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        code = await validate(a.files.map(String));
      },
    )
    .parserConfiguration({ 'populate--': true })
    .strict()
    .help()
    .version(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  try {
    await skipHelpCache(parser).parseAsync();
  } catch (error) {
    // The command line itself is wrong: say so on stderr, whatever the reporter.
    return await reportFatal(error, 'pretty');
  }
  return code;
}

/** Runs the command line to its end: the process exits with the run's code (the entry calls this once). */
export async function runCli(): Promise<never> {
  try {
    return await finish(await main(hideBin(process.argv)));
  } catch (error) {
    process.stderr.write(`vxlab: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return await finish(70);
  }
}
