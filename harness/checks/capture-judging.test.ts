// The capture check judges everything it did, not only the packet counts: a command or ping of
// `during` that goes wrong, an undrained tcpdump and a frame it cannot decode all fail it. A
// stand-in for tcpdump replays a real capture (the first ping of p2p) and speaks its SIGUSR1
// protocol; the node's exec answers ping and the commands as scripted.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StartedLab } from '../backends/types.ts';
import type { Action } from '../lab/model.ts';
import { BackgroundProcess, type ExecResult } from '../util/process.ts';
import { runCapture } from './capture.ts';

const P2P = new Uint8Array(readFileSync(new URL('../packets/fixtures/p2p-first-ping.pcap', import.meta.url)));

class ReplayedTcpdump extends BackgroundProcess {
  private ended = false;
  /** Signals it was sent; with `slowExit`, it stays running after SIGTERM until exitNow(). */
  readonly signals: NodeJS.Signals[] = [];
  slowExit = false;
  private finish: (result: ExecResult) => void = () => undefined;
  readonly exited = new Promise<ExecResult>((resolve) => (this.finish = resolve));
  private reports = 0;
  constructor(argv: readonly string[], pcap: Uint8Array, private readonly unwritten: number, private readonly dropped: number, private readonly beforeFilter: number) {
    super(argv);
    this.receiveStderr(Buffer.from('tcpdump: listening on enp0s8, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n'));
    this.receiveStdout(Buffer.from(pcap));
  }
  get running(): boolean {
    return !this.ended;
  }
  exitNow(): void {
    this.ended = true;
    this.finish({ exitCode: 0, stdout: '', stderr: this.stderr, durationMs: 0, timedOut: false });
  }
  signal(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    // The first report is the one taken at "listening on": the packets from before the filter are counted by then.
    const copies = this.argv[2] === 'lo' ? 2 : 1;
    const [unwritten, dropped] = this.reports++ === 0 ? [0, 0] : [this.unwritten, this.dropped];
    if (signal === 'SIGUSR1') this.receiveStderr(Buffer.from(`4 packets captured\n${4 * copies + unwritten + this.beforeFilter} packets received by filter\n${dropped} packets dropped by kernel\n`));
    else if (!this.ended && !this.slowExit) this.exitNow();
  }
}

const done = (exitCode: number, stdout: string, stderr = ''): ExecResult => ({ exitCode, stdout, stderr, durationMs: 1, timedOut: false });
const PING_OK = 'PING 10.20.1.3 (10.20.1.3) 56(84) bytes of data.\n64 bytes from 10.20.1.3: icmp_seq=1 ttl=64 time=0.1 ms\n\n--- 10.20.1.3 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n';
const PING_LOST = 'PING 10.20.1.3 (10.20.1.3) 56(84) bytes of data.\n\n--- 10.20.1.3 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n';

function lab({ pcap = P2P, unwritten = 0, dropped = 0, beforeFilter = 0, ping = PING_OK, command = done(0, ''), slowExit = false, started = [] }: { pcap?: Uint8Array; unwritten?: number; dropped?: number; beforeFilter?: number; ping?: string; command?: ExecResult; slowExit?: boolean; started?: ReplayedTcpdump[] } = {}): StartedLab {
  const node = {
    name: 'node1',
    exec: async (argv: readonly string[]) => (argv[0] === 'ping' ? done(ping === PING_OK ? 0 : 1, ping) : command),
    start: (argv: readonly string[]) => {
      const tcpdump = new ReplayedTcpdump(argv, pcap, unwritten, dropped, beforeFilter);
      tcpdump.slowExit = slowExit;
      started.push(tcpdump);
      return tcpdump;
    },
  };
  return { backend: 'scripted', node: () => node, accessHints: () => [], down: async () => undefined, [Symbol.asyncDispose]: async () => undefined };
}

const spec = {
  node: 'node1',
  interface: 'enp0s8',
  expect: [
    { that: 'the ARP request in VNI 42', match: { vxlan: { vni: 42 }, inner: { arp: { op: 'request' as const } } }, count: 1 },
    { that: 'nothing in VNI 43', match: { vxlan: { vni: 43 } }, count: 0 },
  ],
};
const ping: Action = { kind: 'ping', spec: { from: 'node0', to: '10.20.1.3', count: 1, expect: 'reachable' } };
const flush: Action = { kind: 'run', node: 'node0', commands: [{ text: 'ip neigh flush dev vxlan0', argv: ['ip', 'neigh', 'flush', 'dev', 'vxlan0'], origin: 'checks[0]' }] };

describe('the capture check', () => {
  it('passes when every action did what it says and the counts hold', async () => {
    const outcome = await runCapture(spec, [flush, ping], [4789], { lab: lab() });
    expect(outcome.status).toBe('pass');
  });

  it('fails when a command of during fails, with its output', async () => {
    const outcome = await runCapture(spec, [flush, ping], [4789], { lab: lab({ command: done(1, '', 'Cannot find device "vxlan0"\n') }) });
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toBe('during: node0: ip neigh flush dev vxlan0 failed with exit code 1: Cannot find device "vxlan0"');
  });

  it('fails when a ping of during contradicts its expect, with the ping\'s output', async () => {
    const outcome = await runCapture(spec, [ping], [4789], { lab: lab({ ping: PING_LOST }) });
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toBe('during: ping from node0 to 10.20.1.3 expected 1 replies from 10.20.1.3, got 0 of 1 echo requests answered');
    expect(outcome.diagnostics.output).toMatch(/1 packets transmitted, 0 received/);
    const unreachable: Action = { kind: 'ping', spec: { ...ping.spec, expect: 'unreachable' } } as Action;
    expect((await runCapture(spec, [unreachable], [4789], { lab: lab() })).reason).toMatch(/^during: ping from node0 to 10\.20\.1\.3 expected no reply from 10\.20\.1\.3, got 1 of 1/);
  });

  it('fails when tcpdump never wrote every packet its filter accepted', async () => {
    const outcome = await runCapture(spec, [ping], [4789], { lab: lab({ unwritten: 1 }) });
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toBe('tcpdump wrote 4 of the 5 packets its filter accepted and wrote no more for 3 s, so the counts are incomplete');
  });

  it('passes when the only packets never written came before the filter was set (libpcap discards them), after the stall', async () => {
    const started = performance.now();
    const outcome = await runCapture(spec, [ping], [4789], { lab: lab({ beforeFilter: 1 }) });
    expect(outcome.status).toBe('pass');
    expect(outcome.diagnostics.beforeFilter).toBe('1 packet from before the filter was set, discarded by libpcap');
    expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
  });

  it('fails when more packets went unwritten than could have come before the filter', async () => {
    const outcome = await runCapture(spec, [ping], [4789], { lab: lab({ beforeFilter: 1, unwritten: 2 }) });
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toBe('tcpdump wrote 4 of the 7 packets its filter accepted and wrote no more for 3 s, so the counts are incomplete');
  });

  it('counts every packet twice on lo (out and in)', async () => {
    const outcome = await runCapture({ ...spec, interface: 'lo' }, [ping], [4789], { lab: lab() });
    expect(outcome.status).toBe('pass');
    expect(outcome.diagnostics.beforeFilter).toBeUndefined();
  });

  it('judges once every counted packet has arrived, stopping tcpdump without waiting for its exit (teardown waits for it)', async () => {
    const started: ReplayedTcpdump[] = [];
    const outcome = await runCapture(spec, [ping], [4789], { lab: lab({ slowExit: true, started }) });
    const tcpdump = started[0]!;
    expect(outcome.status).toBe('pass');
    expect(tcpdump.signals).toContain('SIGTERM');
    expect(tcpdump.running).toBe(true);
    tcpdump.exitNow();
  });

  it('fails at once when the kernel dropped packets tcpdump fell behind on, with its figures', async () => {
    const started = performance.now();
    const outcome = await runCapture(spec, [ping], [4789], { lab: lab({ unwritten: 2, dropped: 2 }) });
    expect(outcome.reason).toBe('tcpdump wrote 4 of the 6 packets its filter accepted: the kernel dropped 2 because tcpdump fell behind (a busy machine), so the counts are incomplete');
    // No stall to wait out: the dropped packets cannot come back.
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('decodes VXLAN on the ports it is given, and only those', async () => {
    const outcome = await runCapture(spec, [ping], [4790], { lab: lab() });
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toBe('the ARP request in VNI 42: expected exactly 1, got 0');
  });

  it('fails when a frame was cut short, saying which', async () => {
    // Record 3 (the echo request, 98 bytes) keeps 60 bytes: its included length shrinks, the original stays.
    const cut = Uint8Array.from(P2P);
    const view = new DataView(cut.buffer);
    let offset = 24;
    for (let i = 0; i < 2; i++) offset += 16 + view.getUint32(offset + 8, true);
    const included = view.getUint32(offset + 8, true);
    view.setUint32(offset + 8, 60, true);
    const shorter = new Uint8Array([...cut.subarray(0, offset + 16 + 60), ...cut.subarray(offset + 16 + included)]);
    const outcome = await runCapture(spec, [ping], [4789], { lab: lab({ pcap: shorter }) });
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toMatch(/^1 packet could not be decoded in full: packet 3: truncated: 60 of \d+ bytes captured; truncated: IPv4 total length \d+, 46 bytes captured/);
  });
});
