// The ssh backend: each lab node is a real host reached over SSH, and the hosts' own network
// is the lab (no underlay). Steps run as written, behind the same policy as every backend;
// before them each host's state is recorded (and kept in its marker), and teardown puts it back.
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../lab/model.ts';
import { plannedOf } from '../../lab/node-changes.ts';
import { checkOnHost, scopeAfter, scopeAfterRun, scopeNames, startScope, type GuardedAddress, type HostScope } from '../../policy/policy.ts';
import { CommandRefusedError, REFUSED_EXIT_CODE, refusal } from '../policed-node.ts';
import { PROJECT_ROOT } from '../../scenario/resolve.ts';
import { DeferStack } from '../../util/defer.ts';
import { PrerequisiteError, UsageError, errorMessage } from '../../util/errors.ts';
import { type BackgroundProcess, type ExecOptions, type ExecResult } from '../../util/process.ts';
import { onPath } from '../../util/on-path.ts';
import { bootId, harnessIdentity, pidNamespace } from '../harness-identity.ts';
import { startedLab } from '../started-lab.ts';
import type { Backend, CleanReport, LabPlan, NodeHandle, StartedLab, UpOptions } from '../types.ts';
import { SshConnection, type HeldCommand, type MarkOnSuccess, type PartOutcome, type RemotePart } from './connection.ts';
import { shellCommand } from './quote.ts';
import { HostIoError, HostsNotRestoredError, readHostState, restoreHost, stateFromOutput, stateReadScript } from './host-io.ts';
import { liveClaims, sysctlWritesMeet, withSysctlsOf, withoutLive, type HostState, type OwnedNames } from './host-state.ts';
import { hostFor, readHostsFile, type HostsConfig } from './hosts.ts';
import { claimHeld, claimHost, LIST_MARKERS, markerLive, markerPath, parseMarkers, readMarkers, removeMarker, rewriteMarker, type SshMarker } from './marker.ts';
import { factProblems, guardedOf, hostFacts, programProblems, sharedHostProblems, stateProblems } from './preflight.ts';
import { readVagrantHosts } from './vagrant.ts';

export interface SshBackendOptions {
  /** `--hosts`: a hosts file, or `vagrant[:DIR]`. */
  hosts?: string;
  /** Where teardown and clean say what they left alone (the CLI's stderr); silent when left out. */
  notice?: (text: string) => void;
}

/**
 * A sh condition that holds when the host shows the names `after` adds to `before` and not those
 * it drops (words quoted by quote.ts). Devices that go with a deleted namespace are not asked
 * about: the kernel deletes them when it frees the namespace, a moment later.
 */
export function namesShownCondition(before: HostScope, after: HostScope): string {
  const added = <T>(a: ReadonlySet<T>, b: ReadonlySet<T>) => [...b].filter((x) => !a.has(x));
  const device = (name: string) => `ip link show dev ${shellCommand([name])} >/dev/null 2>&1`;
  const namespace = (name: string) => `[ -e ${shellCommand([`/run/netns/${name}`])} ]`;
  const nsGone = added(after.namespaces, before.namespaces);
  return [
    ...added(before.devices, after.devices).map(device),
    ...(nsGone.length > 0 ? [] : added(after.devices, before.devices).map((d) => `! ${device(d)}`)),
    ...added(before.namespaces, after.namespaces).map(namespace),
    ...nsGone.map((n) => `! ${namespace(n)}`),
  ].join(' && ');
}

/** The names a node's steps have made, as its marker keeps them. */
type MadeNames = { interfaces: string[]; namespaces: string[] };
const namesOf = (made: HostScope): MadeNames => ({ interfaces: [...made.devices], namespaces: [...made.namespaces] });

/** Whether a marker's names are those of a scope (order aside). */
const sameNames = (names: MadeNames, scope: HostScope): boolean => {
  const sorted = (xs: Iterable<string>) => [...xs].sort().join('\n');
  return sorted(names.interfaces) === sorted(scope.devices) && sorted(names.namespaces) === sorted(scope.namespaces);
};

/** The run's record of what a node made: its marker on the host, and teardown's copy. */
interface MadeRecord {
  /** The marker the host would have if the node had made `made`: put in place by the command's own wrapper. */
  draft(made: MadeNames): MarkOnSuccess;
  /** The host's marker already says `made` (the wrapper put the draft in place). */
  noted(made: MadeNames): void;
  /** Writes the host's marker again with `made`, a round trip of its own. */
  write(made: MadeNames): Promise<void>;
  /** The names the host's marker says now (undefined: no marker of the run readable there). */
  onHost(): Promise<MadeNames | undefined>;
  /** The host's marker may name more than the record (it could not be read): teardown reads it first. */
  unsure(): void;
}

/**
 * A host as a lab node. Behind the policy every backend has, its executor also keeps commands to
 * the host scope (what the steps created so far, the lab's NIC, off the ssh connection's ends): a
 * real host has no sandbox around it. The scope moves on with each command let through.
 */
class SshNode implements NodeHandle {
  private readonly background = new Set<BackgroundProcess>();
  /** What the steps have made for certain (commands that succeeded), as the host scope follows it. */
  private made: HostScope;
  /** Commands that may make or delete names run one at a time: each one's marker follows the last. */
  private naming: Promise<void> = Promise.resolve();
  constructor(
    readonly name: string,
    readonly connection: SshConnection,
    private scope: HostScope,
    /** The run's record of what this node made: teardown and `clean` delete only that. */
    private readonly record: MadeRecord,
  ) {
    this.made = scope;
  }

  async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const { problem, scope } = checkOnHost(argv, options?.input, this.scope);
    if (problem) return { exitCode: REFUSED_EXIT_CODE, stdout: '', stderr: `${refusal(this.name, argv, problem)}\n`, durationMs: 0, timedOut: false };
    this.scope = scope;
    const parts = options?.input === undefined ? [] : batchParts(argv, options.input, this.made);
    if (parts.length <= 1) return this.run(argv, options);
    const { input: _whole, ...rest } = options ?? {};
    return this.runParts(parts, rest);
  }

  /**
   * A batch's parts one after another in one round trip, as ip -batch runs its lines, stopping at
   * the first that fails. A part that makes or deletes names carries the marker it would leave,
   * as runNaming's command does; the wrapper says how each part ended.
   */
  private async runParts(parts: readonly { argv: readonly string[]; input?: string }[], options: ExecOptions): Promise<ExecResult> {
    options.signal?.throwIfAborted();
    return this.oneNamingAtATime(async () => {
      // What each part leaves if every part before it succeeded (the sequence stops at a failure).
      let scope = this.made;
      const planned = parts.map((part) => {
        const before = scope;
        scope = scopeAfterRun(part.argv, part.input, before, { exitCode: 0 });
        return { part, before, after: scope, naming: scopeNames(scope) !== scopeNames(before) };
      });
      const remote: RemotePart[] = planned.map(({ part, before, after, naming }) => ({
        argv: part.argv,
        ...(part.input !== undefined ? { input: part.input } : {}),
        ...(naming ? { mark: { ...this.record.draft(namesOf(after)), verify: namesShownCondition(before, after) } } : {}),
      }));
      // Interrupted, the wrapper still says how each part ended (execParts stops the parts through the channel).
      const { outcomes, ...plain } = await this.connection.execParts(remote, options);
      // It could not say (the connection lost): the host's marker says which parts' names it holds.
      if (!outcomes) {
        await this.fromHostMarker(planned.map((p) => p.after));
        if (options.signal?.aborted) throw options.signal.reason;
        return plain;
      }
      for (const [k, outcome] of outcomes.entries()) {
        const { after, naming } = planned[k]!;
        if (outcome.exitCode !== 0 || !naming) continue;
        if (outcome.marked === 'marked') {
          this.record.noted(namesOf(after));
          this.made = after;
        } else if (outcome.marked === 'unverified') {
          // The wrapper stopped there: the parts after it were planned on names the host does not show.
          return { ...plain, exitCode: 1, stderr: `${plain.stderr}vxlab: ${this.name}: \`${planned[k]!.part.argv.join(' ')}\` exited 0, but the host does not show the devices or namespaces it names as made or gone; the run's record of what it made stays as it was, and the rest of the batch did not run\n` };
        } else await this.own(after); // the wrapper could not rename it: written again, a round trip
      }
      if (options.signal?.aborted) throw options.signal.reason;
      return plain;
    });
  }

  /**
   * After a command whose end the wrapper could not report: the scope among `candidates` (what
   * each part would leave) whose names the host's marker holds, since the wrapper renames a part's
   * marker into place only after that part's exit 0 shown on the host. None matching (no marker
   * readable, the host unreachable): the record stays, and teardown reads the marker again.
   */
  private async fromHostMarker(candidates: readonly HostScope[]): Promise<void> {
    // The wrapper may still rename a draft after this read, or the read may fail: teardown reads the marker again.
    this.record.unsure();
    const names = await this.record.onHost().catch(() => undefined);
    const found = names && [...candidates].reverse().find((scope) => sameNames(names, scope));
    if (!found) return;
    this.record.noted(namesOf(found));
    this.made = found;
  }

  /** Runs one command (or batch) and records what it made for certain. */
  private async run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    options?.signal?.throwIfAborted();
    if (scopeNames(scopeAfterRun(argv, options?.input, this.made, { exitCode: 0 })) === scopeNames(this.made)) {
      const { marked: _, ...result } = await this.connection.exec(argv, options);
      await this.own(scopeAfterRun(argv, options?.input, this.made, result));
      return result;
    }
    return this.oneNamingAtATime(() => this.runNaming(argv, options));
  }

  /** Runs `naming` once the node's naming commands before it have ended: each one's marker draft builds on the last. */
  private async oneNamingAtATime<T>(naming: () => Promise<T>): Promise<T> {
    const previous = this.naming;
    let done!: () => void;
    this.naming = new Promise((resolve) => (done = resolve));
    await previous;
    try {
      return await naming();
    } finally {
      done();
    }
  }

  /**
   * A command that makes or deletes names: the marker it would leave goes with it and is put in
   * place on the host right after its exit 0 (connection.ts), before the result is given back.
   */
  private async runNaming(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    options?.signal?.throwIfAborted();
    const succeeded = scopeAfterRun(argv, options?.input, this.made, { exitCode: 0 });
    const { input, ...rest } = options ?? {};
    const { outcomes, ...plain } = await this.connection.execParts([{ argv, input: input ?? '', mark: { ...this.record.draft(namesOf(succeeded)), verify: namesShownCondition(this.made, succeeded) } }], rest);
    const outcome = outcomes?.[0];
    // The wrapper could not say how it ended (the connection lost): the host's marker says.
    if (!outcome) {
      await this.fromHostMarker([succeeded]);
      if (options?.signal?.aborted) throw options.signal.reason;
      return plain;
    }
    const result = await this.afterNaming(outcome, succeeded, plain);
    if (options?.signal?.aborted) throw options.signal.reason;
    return result;
  }

  /** The run's record after a naming command whose end the wrapper reported. */
  private async afterNaming(outcome: PartOutcome, succeeded: HostScope, plain: ExecResult): Promise<ExecResult> {
    // A planned name another tool took before the step ran is not the run's: its `ip link add` failed.
    if (outcome.exitCode !== 0) return plain;
    if (outcome.marked === 'marked') {
      this.record.noted(namesOf(succeeded));
      this.made = succeeded;
    } else if (outcome.marked === 'unverified') {
      // Exit 0, but the host does not show the names changed: the record stays as it was.
      return { ...plain, stderr: `${plain.stderr}vxlab: ${this.name}: the command exited 0, but the host does not show the devices or namespaces it names as made or gone; the run's record of what it made stays as it was\n` };
    } else await this.own(succeeded); // the wrapper could not rename it: written again, a round trip
    return plain;
  }

  private async own(made: HostScope): Promise<void> {
    if (scopeNames(made) !== scopeNames(this.made)) await this.record.write(namesOf(made));
    this.made = made;
  }

  start(argv: readonly string[]): BackgroundProcess {
    const { problem, scope } = checkOnHost(argv, undefined, this.scope);
    if (problem) throw new CommandRefusedError(refusal(this.name, argv, problem));
    this.scope = scope;
    const process = this.connection.start(argv);
    this.background.add(process);
    void process.exited.then(() => this.background.delete(process));
    return process;
  }

  async stopBackground(): Promise<void> {
    await Promise.all([...this.background].map((p) => p.stop(1000)));
  }
}

/**
 * A batch's lines in runs of their own: a line that makes, deletes, renames or moves a device or
 * a guest namespace runs alone (`ip LINE`), the others together. How far a batch got cannot be
 * told from its exit: iproute2 ends some commands with exit(0) (`ip maddr add`), parse errors with
 * exit(255) and no "Command failed" line, and a deadline kills it anywhere; a command alone says.
 */
function batchParts(argv: readonly string[], input: string, made: HostScope): { argv: readonly string[]; input?: string }[] {
  const program = argv[0]!;
  const parts: { argv: readonly string[]; input?: string }[] = [];
  let plain: string[] = [];
  let scope = made;
  const flush = () => {
    if (plain.length > 0) parts.push({ argv, input: `${plain.join('\n')}\n` });
    plain = [];
  };
  for (const line of input.split('\n').filter((l) => l !== '')) {
    const words = [program, ...line.split(' ')];
    const next = scopeAfter(words, scope);
    if (scopeNames(next) === scopeNames(scope)) {
      plain.push(line);
    } else {
      flush();
      parts.push({ argv: words });
    }
    scope = next;
  }
  flush();
  return parts;
}

/** Between the state read and the markers' list in preflight's round trip. */
const MARKERS_PART = '--vxlab-markers--';

// A harness that exits between preflight and its first lab (an error, Ctrl-C) still removes its
// directories: one exit listener for them all.
const liveSessions = new Set<string>();
let exitListener = false;
function removeAtExit(dir: string): void {
  liveSessions.add(dir);
  if (exitListener) return;
  exitListener = true;
  process.once('exit', () => {
    for (const d of liveSessions) rmSync(d, { recursive: true, force: true });
  });
}

/** A run's private directory (0700, from mkdtemp) for the masters' sockets and vagrant's ssh_config. */
class Session {
  private constructor(
    readonly dir: string,
    readonly configFile: string | undefined,
  ) {
    removeAtExit(dir);
  }

  static async create(config: HostsConfig): Promise<Session> {
    // Named by the harness PID and its PID namespace, so that `clean` can remove the directory of a
    // harness that died, and only one whose PID it can judge.
    const dir = await mkdtemp(join(tmpdir(), `${SESSION_PREFIX}${process.pid}-${await pidNamespaceInode()}-`));
    let configFile: string | undefined;
    if (config.sshConfigText !== undefined) {
      configFile = join(dir, 'ssh_config');
      await writeFile(configFile, config.sshConfigText, { mode: 0o600 });
    }
    return new Session(dir, configFile);
  }

  connection(config: HostsConfig, node: string, index: number): SshConnection {
    const host = hostFor(config, node);
    if (!host) throw new PrerequisiteError(`${config.source} names no host for ${node}`, `add ${node} to it`);
    return new SshConnection(host, { controlPath: join(this.dir, `m${index}`), ...(this.configFile ? { configFile: this.configFile } : {}) });
  }

  remove(): Promise<void> {
    liveSessions.delete(this.dir);
    return rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Preflight's open connections and each host's state as it read it (with every lab's sysctl keys),
 * handed to the first lab's `up`: a handshake and a state read per host saved.
 */
interface Warm {
  session: Session;
  connections: Map<string, SshConnection>;
  states: Map<string, HostState>;
  /** Each host's preflight round trip, held open for the claim of run `claimRunId` (when the run id was known and every lab has the same nodes). */
  claims: Map<string, HeldCommand>;
  claimRunId?: string;
}

/** Masters opening while the scenarios load (a run's SSH handshakes are most of its start): preflight takes them. */
interface Early {
  session: Session;
  connections: Map<string, SshConnection>;
  /** Each connection's one attempt to open, settled (preflight reads its outcome, never tries twice). */
  opened: Map<string, Promise<void>>;
}

/** Both ends and the gateway of every connection's ssh session: what no host's routes or addresses may cover. */
async function everyGuarded(connections: readonly SshConnection[]): Promise<GuardedAddress[]> {
  const all = (await Promise.all(connections.map(async (c) => guardedOf(await hostFacts(c))))).flat();
  return [...new Map(all.map((g) => [`${g.role} ${g.address}`, g])).values()];
}

const SESSION_PREFIX = 'vxlab-ssh-';

/** The number in this process's PID namespace's name (`pid:[4026531836]`). */
const pidNamespaceInode = async () => (await pidNamespace()).replace(/\D/g, '');

/**
 * Private directories of harnesses that are gone (a SIGKILL leaves their dead sockets behind):
 * only those of this PID namespace, whose PIDs /proc here can tell alive from dead.
 */
async function removeDeadSessions(): Promise<void> {
  const ours = await pidNamespaceInode();
  for (const entry of await readdir(tmpdir()).catch(() => [] as string[])) {
    const m = new RegExp(`^${SESSION_PREFIX}(\\d+)-(\\d+)-[A-Za-z0-9]+$`).exec(entry);
    if (!m || m[2] !== ours || existsSync(`/proc/${m[1]}`)) continue;
    await rm(join(tmpdir(), entry), { recursive: true, force: true });
  }
}

/** What the restore's commands said, under what it left (why it could not put that back). */
const saying = (said: string | undefined) => (said ? `\n  the restore said:\n    ${said.split('\n').join('\n    ')}` : '');

const cleanHint = (config: HostsConfig) => `run \`npm run lab -- clean --backend ssh --hosts ${config.source.startsWith('vagrant') ? 'vagrant' : config.source}\``;

export class SshBackend implements Backend {
  readonly name = 'ssh';
  readonly supportsRootless = false;
  readonly reservesNeighbourRoom = false;
  private config: Promise<HostsConfig> | undefined;
  private warm: Warm | undefined;
  private early: Promise<Early> | undefined;

  constructor(private readonly options: SshBackendOptions = {}) {}

  /** Changed on a host, but not by the steps (a new device, a route on the NIC): never undone, said once. */
  private leftAlone(node: string, conn: SshConnection, notOurs: readonly string[]): void {
    if (notOurs.length > 0) this.options.notice?.(`${node} (${conn.destination}): ${notOurs.join(', ')}: changed during the run but not by its steps: not ours, left alone`);
  }

  private hosts(): Promise<HostsConfig> {
    const spec = this.options.hosts;
    if (spec === undefined) return Promise.reject(new UsageError('the ssh backend needs --hosts FILE (or --hosts vagrant[:DIR])'));
    this.config ??= spec === 'vagrant' || spec.startsWith('vagrant:') ? readVagrantHosts(spec.slice('vagrant:'.length) || PROJECT_ROOT) : readHostsFile(spec);
    return this.config;
  }

  async checkPrerequisites(): Promise<void> {
    await this.hosts();
    // Looked up, not spawned: the masters' handshakes wait for this.
    const missing = (await Promise.all(['ssh', 'setpriv'].map(async (p) => ((await onPath(p)) ? undefined : p)))).filter((p) => p !== undefined);
    if (missing.length > 0) throw new PrerequisiteError(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed`, `install ${missing.map((p) => (p === 'ssh' ? 'openssh-client' : 'util-linux')).join(' and ')}`);
    // The CLI loads the scenarios meanwhile; a run that stops before preflight (a bad scenario)
    // leaves nothing: the masters die with the harness (pdeathsig), the directory at its exit.
    this.early ??= this.openEarly();
  }

  private async openEarly(): Promise<Early> {
    const config = await this.hosts();
    const session = await Session.create(config);
    const connections = new Map(config.hosts.map((h, i) => [h.node, session.connection(config, h.node, i)]));
    const opened = new Map([...connections].map(([node, conn]) => {
      const attempt = conn.open();
      attempt.catch(() => undefined); // read by preflight
      return [node, attempt] as const;
    }));
    return { session, connections, opened };
  }

  /** The early masters, taken once; those the labs do not need are closed. */
  private async takeEarly(nodes: readonly string[]): Promise<Early | undefined> {
    const early = this.early && (await this.early);
    this.early = undefined;
    if (!early) return undefined;
    await Promise.all([...early.connections].filter(([node]) => !nodes.includes(node)).map(([, conn]) => conn.close()));
    return early;
  }

  /** Checks every host against every lab before anything runs (exit 3 on a problem). */
  async preflight(plans: readonly LabPlan[], options: { runId?: string } = {}): Promise<void> {
    const config = await this.hosts();
    const early = await this.takeEarly([...new Set(plans.flatMap((p) => p.lab.nodes.map((n) => n.name)))]);
    const session = early?.session ?? (await Session.create(config));
    const problems: string[] = [];
    let connections = new Map<string, SshConnection>();
    const states = new Map<string, HostState>();
    const claims = new Map<string, HeldCommand>();
    const identities = new Map<string, { identity?: string; destination: string }>();
    let ready = false;
    try {
      const nodes = [...new Set(plans.flatMap((p) => p.lab.nodes.map((n) => n.name)))];
      const missing = nodes.filter((n) => !hostFor(config, n));
      if (missing.length > 0) throw new PrerequisiteError(`${config.source} names no host for ${missing.join(', ')}`, `map each node of the lab to a host (it has ${config.hosts.map((h) => h.node).join(', ')})`);
      connections = new Map(nodes.map((n, i) => [n, early?.connections.get(n) ?? session.connection(config, n, i)]));
      // The first lab's claim can ride on preflight's round trip when that lab takes these connections (up's `fits`).
      const claimPath = options.runId !== undefined && plans.every((p) => p.lab.nodes.length === nodes.length) ? markerPath(options.runId) : undefined;
      await Promise.all(
        [...connections.values()].map(async (conn) => {
          try {
            await (early?.opened.get(conn.host.node) ?? conn.open());
          } catch (error) {
            problems.push(`${conn.host.node}: cannot reach ${conn.destination} over SSH (${errorMessage(error)}); check the hosts file and that \`ssh ${conn.destination.replace(/:\d+$/, '')} true\` works from here without a prompt (key, known_hosts)`);
            return;
          }
          // One round trip: the programs and root, then the state (read once for every lab) and
          // the markers, which count only when the programs and root are there.
          const node = conn.host.node;
          const sysctlKeys = [...new Set(plans.flatMap((p) => p.changes.get(node)?.sysctls ?? []))];
          const { problems: missingPrograms, more, held } = await programProblems(conn, `${stateReadScript(sysctlKeys)}\nprintf '\\n%s\\n' ${MARKERS_PART}\n${LIST_MARKERS}`, claimPath);
          if (held) claims.set(node, held);
          problems.push(...missingPrograms);
          if (missingPrograms.length > 0 || !more) return;
          if (more.status !== 0) throw new HostIoError(`${node} (${conn.destination}): reading the host's network state failed: ${more.stderr.trim() || `exit ${more.status}`}`);
          // The markers' list may be empty: the part ends at the separator's own line.
          const cut = more.stdout.lastIndexOf(`\n${MARKERS_PART}`);
          const read = stateFromOutput(conn, more.stdout.slice(0, Math.max(cut, 0)));
          const marked = parseMarkers(cut >= 0 ? more.stdout.slice(cut + 1 + MARKERS_PART.length) : '');
          // A marker vxlab cannot read may be a live run's: the host's state is unknown, so it waits.
          for (const file of marked.unreadable) problems.push(`${node}: ${file} on ${conn.destination} is not a marker vxlab can read (cut short or edited by hand?); if no vxlab run is using the host, remove it, then run again`);
          // Two runs on one host would undo each other's changes at teardown: one at a time.
          const writes = [...new Set(plans.flatMap((p) => Object.keys(p.changes.get(node)?.sysctlWrites ?? {})))];
          for (const m of marked.markers) {
            if (await markerLive(m)) {
              problems.push(`${node}: another vxlab run (${m.runId}, harness pid ${m.harnessPid} on ${m.harnessHost}) is changing ${conn.destination}; wait until it ends, or if its harness is gone, ${cleanHint(config)}`);
              continue;
            }
            // This run would record a dead run's value as the host's own, and put that back.
            // A key counts when either run's writes change it (all.forwarding changes ip_forward too).
            const theirs = Object.keys(m.owned.sysctls ?? {}).filter((k) => sysctlWritesMeet([k], writes));
            if (theirs.length > 0) problems.push(`${node}: run ${m.runId}, whose harness is gone, set ${theirs.join(', ')} on ${conn.destination} and did not put ${theirs.length === 1 ? 'it' : 'them'} back, and this run sets ${theirs.length === 1 ? 'it' : 'them'} too; ${cleanHint(config)} first`);
          }
          states.set(node, read);
          identities.set(node, { ...(await hostFacts(conn)), destination: conn.destination });
          for (const plan of plans) {
            const labNode = plan.lab.nodes.find((n) => n.name === node);
            if (labNode) problems.push(...stateProblems(labNode, plan.lab.name, read, plan.changes.get(node), cleanHint(config)));
          }
        }),
      );
      // Every host's ssh ends are protected on every host: an address or route on one could take another's.
      const protect = await everyGuarded([...connections.values()].filter((c) => identities.has(c.host.node)));
      for (const conn of connections.values()) {
        if (!identities.has(conn.host.node)) continue;
        const facts = await hostFacts(conn);
        for (const plan of plans) {
          if (plan.lab.nodes.some((n) => n.name === conn.host.node)) problems.push(...factProblems(conn.host.node, plan.changes.get(conn.host.node), facts, cleanHint(config), protect));
        }
      }
      // In the labs' order, not the order the hosts answered in.
      problems.push(...sharedHostProblems(new Map(nodes.filter((n) => identities.has(n)).map((n) => [n, identities.get(n)!]))));
      ready = problems.length === 0;
    } finally {
      if (!ready) {
        await Promise.all([...claims.values()].map((held) => held.finish()));
        await Promise.all([...connections.values()].map((c) => c.close()));
        await session.remove();
      } else {
        await this.dropWarm();
        this.warm = { session, connections, states, claims, ...(options.runId !== undefined ? { claimRunId: options.runId } : {}) };
      }
    }
    const unique = [...new Set(problems)];
    // One line: the reason also becomes TAP's `1..0 # SKIP` line.
    if (unique.length > 0) throw new PrerequisiteError(`the ssh hosts are not ready: ${unique.join('; ')}`, 'fix that, then run again');
  }

  /** Closes connections preflight left for an `up` that did not come. */
  private async dropWarm(): Promise<void> {
    const warm = this.warm;
    this.warm = undefined;
    if (!warm) return;
    // A claim not made: its held round trip ends with nothing written.
    await Promise.all([...warm.claims.values()].map((held) => held.finish()));
    await Promise.all([...warm.connections.values()].map((c) => c.close()));
    await warm.session.remove();
  }

  async up(lab: Lab, options: UpOptions): Promise<StartedLab> {
    const config = await this.hosts();
    // Masters opened for a preflight that never came (a caller that skips it) are not left open.
    await this.takeEarly([]).then((unused) => unused?.session.remove());
    const defer = new DeferStack();
    try {
      // The first lab takes preflight's connections when they are the ones it needs.
      const warm = this.warm;
      this.warm = undefined;
      const fits = warm !== undefined && lab.nodes.every((n) => warm.connections.has(n.name)) && warm.connections.size === lab.nodes.length;
      if (warm && !fits) {
        this.warm = warm;
        await this.dropWarm();
      }
      const session = fits ? warm.session : await Session.create(config);
      defer.defer('remove the private directory', () => session.remove());
      const connections = lab.nodes.map((n, i) => (fits ? warm.connections.get(n.name)! : session.connection(config, n.name, i)));
      for (const conn of connections) defer.defer(`close the connection to ${conn.host.node}`, () => conn.close());
      // Preflight's round trips held for this run's claim (one for another run id is ended unused).
      const held = fits && warm.claimRunId === options.runId ? warm.claims : new Map<string, HeldCommand>();
      if (fits && warm.claims !== held) await Promise.all([...warm.claims.values()].map((h) => h.finish()));
      defer.defer('end the claims not made', () => Promise.all([...held.values()].map((h) => h.finish())));
      await Promise.all(connections.map((c) => c.open()));
      options.signal?.throwIfAborted();
      const identity = await harnessIdentity();
      const boot = await bootId();
      const pidNs = await pidNamespace();
      // Every host recorded so far is restored at once at teardown, all hosts in parallel.
      const restores: { node: string; conn: SshConnection; before: HostState; owned: OwnedNames; marker: SshMarker; unsure?: boolean }[] = [];
      /** This run's marker on a host, as its file says now (undefined: there is none). */
      const runMarkerOn = async (conn: SshConnection) => (await readMarkers(conn)).markers.find((m) => m.runId === options.runId);
      // Until up() returns nothing has changed a host but its marker: an up() that fails (another
      // run claimed a host at the same time) only takes its markers back, and restores nothing
      // (the other run's devices may carry the very names this run's steps would have made).
      let started = false;
      defer.defer('restore the hosts', async () => {
        if (!started) {
          await Promise.all(restores.map(({ conn }) => removeMarker(conn, options.runId)));
          return;
        }
        const failed = (
          await Promise.all(
            restores.map(async (entry) => {
              // A record that may lag the host's marker (a lost connection hid a part's end): the
              // marker's names are the run's; unreadable, the host is left to clean, marker and all.
              if (entry.unsure) {
                const listed = await runMarkerOn(entry.conn).then(
                  (mine) => ({ mine }),
                  (error: unknown) => {
                    if (error instanceof HostIoError) return undefined;
                    throw error;
                  },
                );
                if (!listed) return `${entry.node} (${entry.conn.destination}) could not be restored: a lost connection hid how a command ended there, and its marker could not be read to say what the run made; ${cleanHint(config)} once it answers`;
                const { mine } = listed;
                if (mine) {
                  const owned = { ...entry.owned, interfaces: mine.owned.interfaces, namespaces: mine.owned.namespaces };
                  Object.assign(entry, { owned, marker: { ...entry.marker, owned } });
                }
              }
              const { node, conn, before, owned } = entry;
              try {
                const { left, notOurs, said, markerRemoved } = await restoreHost(conn, before, owned, { path: markerPath(options.runId), putBack: () => rewriteMarker(conn, entry.marker) });
                this.leftAlone(node, conn, notOurs);
                if (left.length > 0) return `${node} (${conn.destination}) could not be restored; left on it:\n    ${left.join('\n    ')}${saying(said)}`;
                if (!markerRemoved) await removeMarker(conn, options.runId);
                return undefined;
              } catch (error) {
                // Unreachable at teardown: named like any host left changed (its marker stays for clean).
                if (error instanceof HostIoError) return `${node} (${conn.destination}) could not be restored: ${error.message}; ${cleanHint(config)} once it answers`;
                throw error;
              }
            }),
          )
        ).filter((f) => f !== undefined);
        if (failed.length > 0) throw new HostsNotRestoredError(failed.join('\n'));
      });
      // Every host's ssh ends, protected on every host (preflight's reading on its connections).
      const protect = await everyGuarded(connections);
      const claimedBy: { node: string; marker: SshMarker }[] = [];
      // Every host's claim settles before a failure unwinds: a claim still under way would write a
      // marker after the unwind removed the others.
      const claims = await Promise.allSettled(
        connections.map(async (conn) => {
          const node = lab.nodes.find((n) => n.name === conn.host.node)!;
          const changes = options.changes?.get(node.name);
          // Preflight's read, moments old, stands for the first lab's before-state.
          const read = fits ? warm.states.get(node.name) : undefined;
          const [before, facts] = await Promise.all([read ? withSysctlsOf(read, changes?.sysctls ?? []) : readHostState(conn, changes?.sysctls ?? []), hostFacts(conn)]);
          // Names count as the run's once a step has made them (SshNode's record), not when planned.
          const owned: OwnedNames = { interfaces: [], namespaces: [], sysctls: changes?.sysctlWrites ?? {} };
          const problems = [...stateProblems(node, lab.name, before, changes, cleanHint(config)), ...factProblems(node.name, changes, facts, cleanHint(config), protect)];
          if (problems.length > 0) throw new PrerequisiteError(problems.join('; '), 'fix the host, then run again');
          const marker: SshMarker = { runId: options.runId, node: node.name, harnessHost: hostname(), ...identity, bootId: boot, pidNamespace: pidNs, before, owned };
          const ready = held.get(node.name);
          held.delete(node.name);
          const others = ready ? await claimHeld(ready, conn, marker) : await claimHost(conn, marker);
          restores.push({ node: node.name, conn, before, owned, marker });
          for (const marker of others) if (await markerLive(marker)) claimedBy.push({ node: node.name, marker });
        }),
      );
      const refused = claims.find((c): c is PromiseRejectedResult => c.status === 'rejected');
      if (refused) throw refused.reason;
      // Preflight refused a host another live run held; one that claimed it since, at the same time as this run, is seen here.
      if (claimedBy.length > 0) {
        const whose = claimedBy.map(({ node, marker: m }) => `${node}: run ${m.runId} (harness pid ${m.harnessPid} on ${m.harnessHost})`);
        throw new PrerequisiteError(`another vxlab run claimed these hosts at the same time (${whose.join('; ')}); this run backs off before its steps and changed nothing`, 'run again once that run ends');
      }
      options.signal?.throwIfAborted();
      /** The node's marker and teardown's record, with what its steps have made so far. */
      const recordOf = (node: string): MadeRecord => {
        const entry = restores.find((r) => r.node === node)!;
        const withMade = (made: MadeNames) => {
          const owned = { ...entry.owned, ...made };
          return { owned, marker: { ...entry.marker, owned } };
        };
        return {
          draft: (made) => ({ path: markerPath(options.runId), text: JSON.stringify(withMade(made).marker) }),
          noted: (made) => Object.assign(entry, withMade(made)),
          write: async (made) => {
            Object.assign(entry, withMade(made));
            await rewriteMarker(entry.conn, entry.marker);
          },
          onHost: async () => {
            const m = await runMarkerOn(entry.conn);
            return m && { interfaces: [...m.owned.interfaces], namespaces: [...m.owned.namespaces] };
          },
          unsure: () => void (entry.unsure = true),
        };
      };
      const nodes = new Map(lab.nodes.map((n, i) => [n.name, new SshNode(n.name, connections[i]!, startScope(n.nic.name, { protect, planned: plannedOf(options.changes?.get(n.name)) }), recordOf(n.name))]));
      defer.defer('stop background processes', () => Promise.all([...nodes.values()].map((n) => n.stopBackground())));
      started = true;
      return startedLab(this.name, lab.name, nodes, defer, (n) => `ssh ${n.connection.destination}${n.connection.host.sudo ? '  (then sudo)' : ''}`, { sharedClock: false });
    } catch (error) {
      const errors = await defer.unwind();
      if (errors.length > 0 && !(error instanceof Error && error.name === 'InterruptedError')) {
        throw new AggregateError([error, ...errors], `${errorMessage(error)}\n${errors.map((e) => e.message).join('\n')}`, { cause: error });
      }
      throw error;
    }
  }

  /** Restores the hosts of runs whose harness died (markers in /run/vxlab), and removes the markers. */
  async clean(): Promise<CleanReport> {
    const config = await this.hosts();
    const session = await Session.create(config);
    const report: CleanReport = { removed: new Map(), live: new Set(), unit: ['host restored', 'hosts restored'] };
    const failures: string[] = [];
    try {
      await Promise.all(
        config.hosts.map(async (host, i) => {
          const conn = session.connection(config, host.node, i);
          try {
            await conn.open();
            const { markers, unreadable } = await readMarkers(conn);
            for (const file of unreadable) failures.push(`${host.node} (${conn.destination}): ${file} is not a marker vxlab can read, so what it names was not restored; look at it, and remove it by hand`);
            const alive = await Promise.all(markers.map(markerLive));
            const live = markers.filter((_, j) => alive[j]);
            for (const m of live) report.live.add(m.runId);
            // A live run's names and sysctls are its own teardown's: a dead run's restore leaves them.
            const claims = liveClaims(live);
            for (const marker of markers.filter((_, j) => !alive[j])) {
              const { before, owned, skipped } = withoutLive(marker.before, marker.owned, claims);
              if (skipped.length > 0) this.options.notice?.(`${host.node} (${conn.destination}): ${skipped.join(', ')}: run ${marker.runId}'s, but also claimed by a live run (${live.map((m) => m.runId).join(', ')}): skipped, left to that run`);
              const { left, notOurs, said, markerRemoved } = await restoreHost(conn, before, owned, { path: markerPath(marker.runId), putBack: () => rewriteMarker(conn, marker) });
              const skippedNames = new Set(skipped);
              this.leftAlone(host.node, conn, notOurs.filter((n) => !skippedNames.has(n)));
              if (left.length > 0) {
                failures.push(`${host.node} (${conn.destination}) could not be restored from run ${marker.runId}; left on it:\n    ${left.join('\n    ')}${saying(said)}`);
                continue;
              }
              if (!markerRemoved) await removeMarker(conn, marker.runId);
              report.removed.set(marker.runId, (report.removed.get(marker.runId) ?? 0) + 1);
            }
          } catch (error) {
            failures.push(`${host.node} (${conn.destination}): ${errorMessage(error)}`);
          } finally {
            await conn.close();
          }
        }),
      );
    } finally {
      await session.remove();
    }
    await removeDeadSessions();
    if (failures.length > 0) throw new HostsNotRestoredError(failures.join('\n'));
    return report;
  }
}
