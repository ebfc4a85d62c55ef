// When tcpdump has written every packet it ever will. Its SIGUSR1 report counts, as "received by
// filter", packets it never writes, and the drain must not wait for those:
// - on `lo` every packet is seen twice, going out and coming in, and libpcap drops the outgoing copy;
// - packets that reach the socket between its opening and the filter being set sit in libpcap's
//   ring already counted, and libpcap filters them in userland, dropping those that do not match
//   (pcap_setfilter_linux in libpcap 1.10). Their number is at most what was unaccounted for when
//   tcpdump said it was listening (the filter is set by then), so a report taken at that moment
//   bounds them.
import type { BackgroundProcess } from '../util/process.ts';
import { pollUntil } from '../util/poll.ts';

// The whole report: tcpdump writes it in several writes, and the drops come last.
export const TCPDUMP_STATS = /(\d+) packets? captured[,\s]+(\d+) packets? received by filter[,\s]+(\d+) packets? dropped by kernel/;

/** tcpdump's own counts (SIGUSR1): packets it wrote, packets its filter accepted, packets the kernel dropped for want of room. */
export interface CaptureCounts {
  captured: number;
  received: number;
  dropped: number;
}

/** How many times the kernel hands one packet to a capture on this interface. */
export const copiesPerPacket = (iface: string): 1 | 2 => (iface === 'lo' ? 2 : 1);

/** Packets counted but neither written nor dropped: still on their way, or discarded by libpcap. */
export const unaccounted = (counts: CaptureCounts, copies: 1 | 2): number => counts.received - counts.dropped - counts.captured * copies;

/** Asks tcpdump for its counts (SIGUSR1) and reads its report. */
export async function readCounts(tcpdump: BackgroundProcess): Promise<CaptureCounts> {
  const from = tcpdump.stderrWritten;
  tcpdump.signal('SIGUSR1');
  const stats = await tcpdump.waitForStderr(TCPDUMP_STATS, { timeoutMs: 2000, fromOffset: from, what: 'capture statistics' });
  return { captured: Number(stats[1]), received: Number(stats[2]), dropped: Number(stats[3]) };
}

export interface DrainVerdict {
  complete: boolean;
  counts: CaptureCounts;
  /** Packets libpcap discarded as arrived before the filter was set (counted, never written). */
  beforeFilter: number;
}

/**
 * Judges one report, given the one taken when tcpdump started listening. `undefined`: wait.
 * A stalled shortfall no larger than what was unaccounted for at the start is the packets from
 * before the filter, which libpcap discarded; any larger one is packets that never arrived.
 */
export function judgeReport(counts: CaptureCounts, atListening: CaptureCounts, copies: 1 | 2, stalled: boolean): DrainVerdict | undefined {
  const pending = unaccounted(counts, copies);
  const beforeFilterAtMost = Math.max(0, unaccounted(atListening, copies));
  if (pending <= 0) return { complete: counts.dropped === 0, counts, beforeFilter: 0 };
  // Dropped packets are gone for good: once only those from before the filter may be left, stop.
  if (counts.dropped > 0 && pending <= beforeFilterAtMost) return { complete: false, counts, beforeFilter: 0 };
  if (!stalled) return undefined;
  const fromBeforeFilter = counts.dropped === 0 && pending <= beforeFilterAtMost;
  return { complete: fromBeforeFilter, counts, beforeFilter: fromBeforeFilter ? pending : 0 };
}

/** How long the drain waits without tcpdump writing one more packet, and at most in all. */
export const DRAIN_STALL_MS = 3000;
const DRAIN_MAX_MS = 15_000;

/** Waits until tcpdump has written every packet it will; its last counts, and whether it had. */
export async function drain(tcpdump: BackgroundProcess, atListening: CaptureCounts, copies: 1 | 2): Promise<DrainVerdict> {
  const started = performance.now();
  let stallDeadline = started + DRAIN_STALL_MS;
  let last: CaptureCounts | undefined;
  return pollUntil(
    async () => {
      const counts = await readCounts(tcpdump);
      // A busy machine may keep tcpdump waiting: the deadline runs from its last written packet.
      if (last && counts.captured > last.captured) stallDeadline = performance.now() + DRAIN_STALL_MS;
      last = counts;
      return judgeReport(counts, atListening, copies, performance.now() >= Math.min(stallDeadline, started + DRAIN_MAX_MS));
    },
    { what: 'tcpdump to write every packet its filter accepted', timeoutMs: DRAIN_MAX_MS + 2000, maxIntervalMs: 20 },
  );
}

/** Why the counts are incomplete, with tcpdump's own figures. */
export function describeUndrained({ captured, received, dropped }: CaptureCounts): string {
  const written = `tcpdump wrote ${captured} of the ${received} packets its filter accepted`;
  if (dropped > 0) return `${written}: the kernel dropped ${dropped} because tcpdump fell behind (a busy machine), so the counts are incomplete`;
  return `${written} and wrote no more for ${DRAIN_STALL_MS / 1000} s, so the counts are incomplete`;
}
