// What a run tells the world. Reporters see only these events.
import type { CheckOutcome } from '../checks/types.ts';

export interface ScenarioInfo {
  name: string;
  title: string;
  tutorial: string;
  checks: number;
}

export interface StepCommand {
  text: string;
  /** Set when vxlab added the command itself (e.g. pinning a MAC), not the scenario. */
  addedBy?: string;
}

export interface LabErrorDetails {
  message: string;
  node?: string;
  at?: string;
  command?: string;
  exitCode?: number | string;
  output?: string;
}

export type RunEvent =
  | { type: 'run-start'; runId: string; backend: string; scenarios: ScenarioInfo[] }
  | { type: 'skip-all'; reason: string }
  | { type: 'scenario-start'; scenario: ScenarioInfo; lab: string; diagram: string; explain: string }
  /** The lab waits before it is built (for room in the kernel's neighbour table), and why. */
  | { type: 'waiting'; scenario: string; reason: string }
  | { type: 'lab-up'; scenario: string; durationMs: number }
  | { type: 'step'; scenario: string; node: string; index: number; commands: StepCommand[] }
  | { type: 'check'; scenario: string; number: number; name: string; outcome: CheckOutcome; durationMs: number }
  | { type: 'lab-error'; scenario: string; error: LabErrorDetails; checksNotRun: string[] }
  | { type: 'kept'; scenario: string; hints: string[] }
  | { type: 'command-skipped'; scenario: string; node: string; at: string; command: string; output: string }
  /** `interrupted` says where the run stood when an interrupt landed; the scenario is then not ok. */
  | { type: 'scenario-end'; scenario: string; passed: number; failed: number; skipped: number; broken: boolean; interrupted?: string; durationMs: number }
  | { type: 'bail'; reason: string }
  /** With --jobs above 1, when a scenario starts or ends (its own events come in scenario order). */
  | { type: 'progress'; done: number; total: number; running: string[] }
  | { type: 'run-end'; passed: number; failed: number; skipped: number; broken: number; durationMs: number };

export type EventSink = (event: RunEvent) => void;
