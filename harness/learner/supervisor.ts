// The process that owns a lab brought `up`: it builds the lab (and runs the steps unless bare),
// then serves `exec`, `check` and `down` on the lab's socket until `down` or a signal, and always
// tears the lab down before it exits. As the lab's harness, `clean` judges its leftovers by it.
import { closeSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { harnessIdentity, parentIdentity } from '../backends/harness-identity.ts';
import type { Backend, StartedLab } from '../backends/types.ts';
import { inNetns } from '../checks/ping.ts';
import { nodeNeeds } from '../lab/compile.ts';
import { guestNamespaces } from '../lab/guest-namespaces.ts';
import type { Scenario } from '../lab/model.ts';
import type { RunEvent } from '../report/events.ts';
import { runScenario, scenarioInfo } from '../runner.ts';
import { errorMessage } from '../util/errors.ts';
import { momentTracer } from '../util/moments.ts';
import { newRunId } from '../util/run-id.ts';
import { diagnose, findingLines, type CommandEffects } from './model-answer.ts';
import { learnModelAnswer, readLearnerLab } from './model-lab.ts';
import { MAX_REQUEST_BYTES, parseRequest, type Reply, type Request } from './protocol.ts';
import { ensureLabsDir, holdClaim, releaseLab, socketPath, writeRecord } from './records.ts';

/**
 * The running lab as the runner sees it: `up` hands out the lab already built, and its teardown is
 * ours. Its steps and each `check` reserve the neighbour entries they need while they run, as a run does.
 */
function attachedBackend(backend: Backend, lab: StartedLab): Backend {
  const view: StartedLab = {
    backend: lab.backend,
    ...(lab.sharedClock !== undefined ? { sharedClock: lab.sharedClock } : {}),
    node: (name) => lab.node(name),
    accessHints: () => lab.accessHints(),
    down: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
  return { name: backend.name, supportsRootless: backend.supportsRootless, reservesNeighbourRoom: backend.reservesNeighbourRoom, checkPrerequisites: async () => undefined, up: async () => view, clean: () => backend.clean() };
}

/**
 * Empties the nodes' neighbour caches (in each node and guest namespace), as on a freshly built lab:
 * checks count ARP requests, and a cache warmed by the learner's pings or an earlier `check` would
 * hide them. Entries typed by hand (permanent) stay: a flush leaves those.
 */
async function flushNeighbourCaches(scenario: Scenario, lab: StartedLab, signal: AbortSignal): Promise<void> {
  for (const { name } of scenario.lab.nodes) {
    const node = lab.node(name);
    for (const place of [undefined, ...(await guestNamespaces(node, signal))]) await node.exec(inNetns(place, ['ip', 'neigh', 'flush', 'all']), { signal });
  }
}

/** Runs the scenario's steps on the lab; throws the lab error, in the runner's words, if one fails. */
async function runSteps(scenario: Scenario, backend: Backend, runId: string, signal: AbortSignal): Promise<void> {
  const events: RunEvent[] = [];
  // Its moments (VXLAB_PAUSE_AT) let a test interrupt `up` while the steps run.
  await runScenario({ ...scenario, checks: [] }, { backend, runId, emit: (e) => events.push(e), signal, atMoment: momentTracer(signal) });
  const failure = events.find((e) => e.type === 'lab-error');
  if (failure?.type === 'lab-error') {
    const e = failure.error;
    throw new Error([e.message, e.command && `command: ${e.command}`, e.output && `output: ${e.output}`].filter(Boolean).join('\n'));
  }
}

/** Ends a client's connection once what was written to it is flushed (1 s at most: it may not read). */
function closeWhenFlushed(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.once('finish', () => {
    clearTimeout(timer);
    socket.destroy();
  });
  if (!socket.writableEnded) socket.end();
  else if (socket.writableFinished) socket.destroy();
}

export interface SuperviseOptions {
  scenario: Scenario;
  backend: Backend;
  bare: boolean;
  /** Where `up` waits for one line: `{"ok":true}` once the lab serves, or the error. */
  readyFd: number;
  /** Aborted by a signal that came before the supervisor's own handlers (the CLI kept it). */
  stopped?: AbortSignal;
}

export async function supervise({ scenario, backend, bare, readyFd, stopped: early }: SuperviseOptions): Promise<number> {
  // The `up` that started it, whose claim it takes over (holdClaim): read first, while it is surely there.
  const upIdentity = parentIdentity();
  const runId = newRunId();
  const stop = new AbortController();
  let model: Promise<CommandEffects[]> | undefined;
  let server: Server | undefined;
  const ready = (answer: { ok: true } | { ok: false; message: string }) => {
    try {
      writeSync(readyFd, `${JSON.stringify(answer)}\n`);
      closeSync(readyFd);
    } catch {
      // `up` went away; the lab serves anyway, until `down`.
    }
  };
  // Its log (the lab's .log beside its record) says who it is before anything is built.
  process.stderr.write(`vxlab supervisor PID ${process.pid} for lab ${scenario.name}, run ${runId}\n`);
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('SIGHUP', () => undefined);
  if (early?.aborted) stop.abort();
  else early?.addEventListener('abort', onSignal, { once: true });
  // A fault in serving one request must still end in teardown, never in a crash that skips it.
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`vxlab supervisor: internal error, stopping the lab: ${errorMessage(error)}\n`);
    stop.abort();
  });

  let lab: StartedLab;
  try {
    await holdClaim(scenario.name, await upIdentity);
    await backend.checkPrerequisites();
    lab = await backend.up(scenario.lab, { runId, nodeNeeds: nodeNeeds(scenario), signal: stop.signal });
  } catch (error) {
    ready({ ok: false, message: errorMessage(error) });
    return 1;
  }
  try {
    const attached = attachedBackend(backend, lab);
    if (!bare) await runSteps(scenario, attached, runId, stop.signal);
    stop.signal.throwIfAborted();

    const check = async (send: (reply: Reply) => void, clientGone: AbortSignal) => {
      // A check nobody waits for any more stops where it is; the lab stays up for the next one.
      const signal = AbortSignal.any([stop.signal, clientGone]);
      await flushNeighbourCaches(scenario, lab, signal);
      const events: RunEvent[] = [];
      await runScenario({ ...scenario, steps: [] }, { backend: attached, runId, emit: (e) => events.push(e), signal, atMoment: momentTracer(signal) });
      const failed = events.filter((e): e is Extract<RunEvent, { type: 'check' }> => e.type === 'check' && e.outcome.status === 'fail');
      if (failed.length > 0 && scenario.steps.length > 0) {
        // The steps are the model answer: name the commands whose effects this lab lacks.
        try {
          model ??= learnModelAnswer(scenario, backend, stop.signal);
          const lines = findingLines(diagnose(await model, await readLearnerLab(scenario, lab, stop.signal)));
          for (const e of failed) e.outcome.diagnostics['looks missing'] = lines.length > 0 ? lines : 'every tutorial command left its mark on the nodes: look at the traffic instead';
        } catch (error) {
          model = undefined;
          for (const e of failed) e.outcome.diagnostics['looks missing'] = `could not tell: ${errorMessage(error)}`;
        }
      }
      const end = events.find((e) => e.type === 'scenario-end');
      events.unshift({ type: 'run-start', runId, backend: backend.name, scenarios: [scenarioInfo(scenario)] });
      if (end?.type === 'scenario-end') events.push({ type: 'run-end', passed: end.passed, failed: end.failed, skipped: end.skipped, broken: end.broken ? 1 : 0, durationMs: end.durationMs });
      for (const event of events) send({ type: 'event', event });
    };

    const serve = async (req: Request, send: (reply: Reply) => void, clientGone: AbortSignal) => {
      if (req.op === 'exec') {
        const result = await lab.node(req.node).exec(req.argv, { ...(req.input !== undefined ? { input: req.input } : {}), ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}), signal: AbortSignal.any([stop.signal, clientGone]) });
        send({ type: 'exec', result });
      } else if (req.op === 'check') {
        await check(send, clientGone);
      } else {
        stop.abort();
      }
    };

    await ensureLabsDir();
    // A socket left by a lab that died: `up` claimed the lab for us, so nothing live owns it.
    await rm(socketPath(scenario.name), { force: true });
    // Half-open: a client that ends its side early still gets its answer (a down, an error).
    const clients = new Set<Socket>();
    server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
      clients.add(socket);
      socket.once('close', () => clients.delete(socket));
      // A client that left (Ctrl-C) must not bring the supervisor down with a write error.
      socket.on('error', () => undefined);
      // A client keeps its side open until its answer is done: an end or a close before then means it left.
      const client = new AbortController();
      const left = () => client.abort(new Error('the client left'));
      socket.once('end', left).once('close', left);
      const send = (reply: Reply) => socket.write(`${JSON.stringify(reply)}\n`);
      // Decoded across chunks: a character split between two reads stays whole.
      socket.setEncoding('utf8');
      let buffered = '';
      const onData = (chunk: string) => {
        buffered += chunk;
        const newline = buffered.indexOf('\n');
        if (newline < 0 && buffered.length <= MAX_REQUEST_BYTES) return;
        socket.off('data', onData);
        if (newline < 0 || newline > MAX_REQUEST_BYTES) {
          send({ type: 'error', message: `not a request: a line of more than ${MAX_REQUEST_BYTES} characters` });
          return socket.end();
        }
        const req = parseRequest(buffered.slice(0, newline));
        if ('problem' in req) {
          send({ type: 'error', message: req.problem });
          return socket.end();
        }
        void serve(req, send, client.signal)
          .catch((error: unknown) => {
            if (client.signal.aborted && !stop.signal.aborted) process.stderr.write(`vxlab supervisor: a ${req.op} stopped where it was: its client left\n`);
            send({ type: 'error', message: errorMessage(error) });
          })
          .finally(() => (req.op === 'down' ? stopped.then(() => socket.end(`${JSON.stringify({ type: 'done' })}\n`)) : socket.end(`${JSON.stringify({ type: 'done' })}\n`)));
      };
      socket.on('data', onData);
    });
    let markStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (markStopped = resolve));
    await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(socketPath(scenario.name), resolve));
    const me = await harnessIdentity();
    await writeRecord({ name: scenario.name, scenarioFile: scenario.file, backend: backend.name, runId, bare, nodes: scenario.lab.nodes.map((n) => n.name), startedAt: new Date().toISOString(), ...me });
    ready({ ok: true });
    await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
    await lab.down();
    await releaseLab(scenario.name, [me]);
    markStopped();
    // After the `down` requests' own answers (queued on `stopped` before this): a client that keeps
    // its connection open, idle or half a line in, must not keep the supervisor (and `down`) waiting.
    await stopped;
    for (const socket of clients) closeWhenFlushed(socket);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    return 0;
  } catch (error) {
    ready({ ok: false, message: errorMessage(error) });
    return 1;
  } finally {
    await lab.down().catch(() => undefined);
    // Its claim always goes with it (if it still is its own); a log it wrote before serving stays for `up` to show.
    await releaseLab(scenario.name, [await harnessIdentity()], { withLog: server !== undefined }).catch(() => undefined);
  }
}
