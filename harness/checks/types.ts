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
  /** Set with `--pcap-dir`: keeps a capture's pcap (classic libpcap, as tcpdump wrote it) and returns the file's path. */
  keepPcap?: (pcap: Uint8Array, node: string) => Promise<string>;
  /** Called once a capture listens, before its actions (a named moment of the run). */
  listening?: () => Promise<void>;
}
