import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeEthernet } from '../packets/decode.ts';
import { readPcap } from '../packets/pcap.ts';
import { TCPDUMP_STATS } from './capture-drain.ts';
import { countHolds, describeCount, judgeFrames, tcpdumpArgv } from './capture.ts';

const frames = readPcap(new Uint8Array(readFileSync(new URL('../packets/fixtures/p2p-first-ping.pcap', import.meta.url)))).records.map((r) => decodeEthernet(r.data));

describe('tcpdumpArgv', () => {
  it('streams pcap with immediate delivery and passes the filter verbatim', () => {
    const filter = 'port 4789 and udp[8:2] = 0x0800 & 0x0800 and udp[11:4] = 42 & 0x00FFFFFF';
    expect(tcpdumpArgv({ interface: 'enp0s8', filter })).toEqual(['tcpdump', '-i', 'enp0s8', '-n', '-U', '--immediate-mode', '-w', '-', '--', filter]);
  });
});

describe('TCPDUMP_STATS', () => {
  it('reads the statistics tcpdump prints on SIGUSR1, singular included', () => {
    expect(TCPDUMP_STATS.exec('tcpdump: 4 packets captured, 4 packets received by filter, 0 packets dropped by kernel')?.slice(1)).toEqual(['4', '4', '0']);
    expect(TCPDUMP_STATS.exec('tcpdump: 1 packet captured, 1 packet received by filter, 1 packet dropped by kernel')?.slice(1)).toEqual(['1', '1', '1']);
    expect(TCPDUMP_STATS.exec('0 packets captured\n2 packets received by filter\n2 packets dropped by kernel')?.slice(1)).toEqual(['0', '2', '2']);
  });

  it('waits for the whole report: tcpdump writes it in pieces, the drops last', () => {
    expect(TCPDUMP_STATS.exec('tcpdump: 3 packets captured, 5 packets received by filter, ')).toBeNull();
  });
});

describe('counts', () => {
  it('describe themselves and hold as stated', () => {
    expect([describeCount(0), describeCount(2), describeCount({ min: 1 }), describeCount({ max: 3 }), describeCount({ min: 1, max: 2 })]).toEqual([
      'none', 'exactly 2', 'at least 1', 'at most 3', '1 to 2',
    ]);
    expect([countHolds(0, 0), countHolds(2, 1), countHolds({ min: 1 }, 5), countHolds({ max: 3 }, 4), countHolds({ min: 1, max: 2 }, 2)]).toEqual([
      true, false, true, false, true,
    ]);
  });
});

describe('judgeFrames on the first ping of p2p', () => {
  it('counts ARP and ICMP inside VNI 42, and zero where there is none', () => {
    const verdicts = judgeFrames(
      [
        { that: 'ARP request in VNI 42', match: { udp: { dstPort: 4789 }, vxlan: { vni: 42, flags: 8 }, inner: { arp: { op: 'request' } } }, count: 1 },
        { that: 'ICMP in VNI 42', match: { vxlan: { vni: 42 }, inner: { icmp: { type: { anyOf: ['echo-request', 'echo-reply'] } } } }, count: 2 },
        { that: 'nothing in VNI 43', match: { vxlan: { vni: 43 } }, count: 0 },
        { that: 'an ARP request to a group', match: { ip: { dst: '239.1.1.1' } }, count: { min: 1 } },
      ],
      frames,
    );
    expect(verdicts.map((v) => [v.got, v.pass])).toEqual([[1, true], [2, true], [0, true], [0, false]]);
    expect(verdicts[3]).toMatchObject({ expected: 'at least 1', got: 0 });
  });
});
