// The resolved, typed model of a lab and a scenario. Knows nothing of YAML or of runtimes.
import type { CaptureSpec, PingSpec, StateTable } from '../scenario/schema.ts';

export interface Nic {
  name: string;
  /** Address without prefix length. */
  address: string;
  prefixLength: number;
  mtu: number;
  mac?: string;
}

export interface LabNode {
  name: string;
  nic: Nic;
  /** MAC addresses to pin on interfaces the steps create (interface name -> MAC). */
  macs: Record<string, string>;
}

export interface Lab {
  name: string;
  file: string;
  title: string;
  source: string;
  diagram: string;
  subnet: { network: string; prefixLength: number };
  nodes: LabNode[];
}

/** One command of a scenario: the text as written and the argument vector it runs as. */
export interface Command {
  text: string;
  argv: string[];
  /** Where it came from, for error messages: `steps[0].run[2]`, or `lab: pin MAC of vxlan1`. */
  origin: string;
}

export interface Step {
  index: number;
  node: string;
  commands: Command[];
  /** How long one process of this step (a command, or a batch of them) may run. */
  timeoutMs: number;
  /** Set on the steps a `forEach: node` step stands for (its position in the file): they may run at once. */
  group?: number;
}

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/** Fields an entry must have; see checks/match.ts for how values compare. */
export type Expectation = Record<string, unknown>;

export interface TableExpectation {
  dev?: string;
  contains?: Expectation[];
  lacks?: Expectation[];
  only?: Expectation[];
}

/** A state check, resolved: which table of which node, and what it must hold. */
export interface StateProbe {
  node: string;
  netns?: string;
  timeoutSeconds?: number;
  table: StateTable;
  expect: TableExpectation;
}

export type Action = { kind: 'ping'; spec: PingSpec } | { kind: 'run'; node: string; commands: Command[] };

interface CheckBase {
  index: number;
  name: string;
  /** `ablation: { none }`: why no step makes this check hold (`ablate` then expects no flip). */
  ablationNone?: string;
  /** Where a `forEach: node` check was written (`checks[0]`): its expansions read state independently, so they may run at once. */
  template?: string;
}
export type Check =
  | (CheckBase & { kind: 'ping'; spec: PingSpec })
  /** Pings to many targets at once (a template over peers): passes when every one does. */
  | (CheckBase & { kind: 'pings'; specs: PingSpec[] })
  | (CheckBase & { kind: 'capture'; spec: Omit<CaptureSpec, 'during'>; during: Action[]; /** UDP ports decoded as VXLAN: those of the lab's VTEPs. */ vxlanPorts: number[] })
  | (CheckBase & { kind: 'state'; spec: StateProbe });

export interface Scenario {
  name: string;
  file: string;
  title: string;
  tutorial: string;
  explain: string;
  lab: Lab;
  steps: Step[];
  checks: Check[];
}

export function nodeOf(lab: Lab, name: string): LabNode {
  const node = lab.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`lab ${lab.name} has no node ${name}`);
  return node;
}
