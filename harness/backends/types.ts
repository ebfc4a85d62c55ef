// The one narrow interface between the harness and a way of running nodes.
// A backend provides nodes, an underlay and an executor; it knows nothing of checks.
import type { NodeNeeds } from '../lab/compile.ts';
import type { Lab } from '../lab/model.ts';
import type { NodeChanges } from '../lab/node-changes.ts';
import type { BackgroundProcess, ExecOptions, ExecResult } from '../util/process.ts';

export type { ExecOptions, ExecResult } from '../util/process.ts';

export interface NodeHandle {
  readonly name: string;
  /** Runs argv inside the node and returns its result; never throws for a non-zero exit. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Starts a long-running argv inside the node (a capture); stopped at teardown at the latest. */
  start(argv: readonly string[]): BackgroundProcess;
}

export interface StartedLab extends AsyncDisposable {
  readonly backend: string;
  /** The nodes run on this kernel, so a capture's packet stamps and this process's clock are one clock. */
  readonly sharedClock?: boolean;
  node(name: string): NodeHandle;
  /** How a person can get a shell in each node while the lab is kept up. */
  accessHints(): string[];
  /** Tears everything down; safe to call more than once. */
  down(): Promise<void>;
}

export interface UpOptions {
  runId: string;
  signal?: AbortSignal;
  /** What each node's commands need beyond plain networking (a container must be allowed it). */
  nodeNeeds?: ReadonlyMap<string, NodeNeeds>;
  /** What each node's commands create or write, by name (a backend on real hosts checks and restores them). */
  changes?: ReadonlyMap<string, NodeChanges>;
}

/** A lab about to run, with what its scenario's commands create: what a preflight checks. */
export interface LabPlan {
  lab: Lab;
  changes: ReadonlyMap<string, NodeChanges>;
}

export interface CleanReport {
  /** Dead runs whose leftovers were removed, with how many resources each had. */
  removed: Map<string, number>;
  /** Live runs, left alone. */
  live: Set<string>;
  /** What one leftover is, in the singular and the plural. */
  unit: [string, string];
}

export interface Backend {
  readonly name: string;
  /** Can a user without privileges run it inside a user namespace of their own? */
  readonly supportsRootless: boolean;
  /** Do its labs live in this machine's kernel, whose one neighbour table they share (room reserved before each is built)? */
  readonly reservesNeighbourRoom: boolean;
  /** Throws PrerequisiteError naming what is missing and how to get it. */
  checkPrerequisites(): Promise<void>;
  /** Builds the nodes and the underlay; on failure removes what it built and rethrows the original error. */
  up(lab: Lab, options: UpOptions): Promise<StartedLab>;
  /** Checks, before any lab is built, that the machines can run these labs; throws PrerequisiteError. */
  preflight?(plans: readonly LabPlan[], options?: { runId?: string }): Promise<void>;
  /** Removes what dead runs left behind (after a crash); never touches a live run. */
  clean(): Promise<CleanReport>;
}
