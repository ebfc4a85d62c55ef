import type { StartedLab } from '../backends/types.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckOutcome {
  status: CheckStatus;
  /** Why it was skipped, or a one-line account of a failure. */
  reason?: string;
  /** Evidence for a person: node, command, expected, got, packets... */
  diagnostics: Record<string, unknown>;
}

export interface CheckContext {
  lab: StartedLab;
  signal?: AbortSignal;
}
