// A capture whose pcap outgrows its limit fails with a reason, and memory stays bounded. A real
// flood reaches 64 MiB only slowly (tcpdump writes about 15 MB/s here), so a stand-in for tcpdump
// speaks its protocol in memory: "listening on", then counters on SIGUSR1.
import { describe, expect, it } from 'vitest';
import type { StartedLab } from '../backends/types.ts';
import { CAPTURE_OUTPUT_LIMIT } from '../util/bounded-output.ts';
import { BackgroundProcess, type ExecResult } from '../util/process.ts';
import { runCapture } from './capture.ts';

class ScriptedTcpdump extends BackgroundProcess {
  private ended = false;
  private finish: (result: ExecResult) => void = () => undefined;
  readonly exited = new Promise<ExecResult>((resolve) => (this.finish = resolve));

  constructor(argv: readonly string[], pcapBytes: number) {
    super(argv);
    this.receiveStderr(Buffer.from('tcpdump: listening on enp0s8, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n'));
    const chunk = Buffer.alloc(1024 * 1024);
    for (let written = 0; written < pcapBytes; written += chunk.length) this.receiveStdout(chunk.subarray(0, Math.min(chunk.length, pcapBytes - written)));
  }

  get running(): boolean {
    return !this.ended;
  }

  signal(signal: NodeJS.Signals): void {
    if (signal === 'SIGUSR1') this.receiveStderr(Buffer.from('7 packets captured\n7 packets received by filter\n0 packets dropped by kernel\n'));
    else if (!this.ended) {
      this.ended = true;
      this.finish({ exitCode: 0, stdout: '', stderr: this.stderr, durationMs: 0, timedOut: false });
    }
  }
}

function labWith(pcapBytes: number, started: BackgroundProcess[]): StartedLab {
  const node = {
    name: 'node1',
    exec: async () => ({ exitCode: 0, stdout: '', stderr: '', durationMs: 0, timedOut: false }),
    start: (argv: readonly string[]) => started[started.push(new ScriptedTcpdump(argv, pcapBytes)) - 1]!,
  };
  return { backend: 'scripted', node: () => node, accessHints: () => [], down: async () => undefined, [Symbol.asyncDispose]: async () => undefined };
}

describe('a capture larger than its limit', () => {
  it('fails, saying how much more tcpdump wrote than a capture may hold, and keeps no more than the limit', async () => {
    const spec = { node: 'node1', interface: 'enp0s8', expect: [{ that: 'anything', match: {}, count: { min: 0 } }] };
    const during = [{ kind: 'run' as const, node: 'node0', commands: [] }];
    const started: BackgroundProcess[] = [];
    const outcome = await runCapture(spec, during, [4789], { lab: labWith(CAPTURE_OUTPUT_LIMIT.headBytes + 3 * 1024 * 1024, started) });
    expect(started[0]!.stdout.length).toBe(CAPTURE_OUTPUT_LIMIT.headBytes);
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toBe('tcpdump wrote more than the 64 MiB of pcap a capture may hold (3 MiB more); narrow its filter');
  });
});
