import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeFrame } from './describe.ts';
import { decodeEthernet, type Frame } from './decode.ts';
import { LINKTYPE_ETHERNET, PcapFormatError, readPcap } from './pcap.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}.pcap`, import.meta.url)));
const frames = (name: string): Frame[] => readPcap(fixture(name)).records.map((r) => decodeEthernet(r.data));

describe('readPcap', () => {
  it('reads the header and every record of a real capture', () => {
    const pcap = readPcap(fixture('p2p-first-ping'));
    expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
    expect(pcap.snapLength).toBe(262144);
    expect(pcap.records).toHaveLength(4);
    expect(pcap.trailingBytes).toBe(0);
    expect(pcap.records.map((r) => r.data.length)).toEqual([92, 92, 148, 148]);
    expect(pcap.records[1]!.time).toBeGreaterThan(pcap.records[0]!.time);
  });

  it('keeps whole records of a capture cut mid-write', () => {
    const bytes = fixture('p2p-first-ping');
    const cut = readPcap(bytes.subarray(0, bytes.length - 10));
    expect(cut.records).toHaveLength(3);
    expect(cut.trailingBytes).toBeGreaterThan(0);
  });

  it('reads big-endian captures too', () => {
    const little = fixture('multicast-arp-to-group');
    const big = new Uint8Array(little);
    const view = new DataView(big.buffer);
    const swap32 = (at: number) => view.setUint32(at, new DataView(little.buffer, little.byteOffset).getUint32(at, true), false);
    const swap16 = (at: number) => view.setUint16(at, new DataView(little.buffer, little.byteOffset).getUint16(at, true), false);
    [0, 8, 12, 16, 20, 24, 28, 32, 36].forEach(swap32);
    [4, 6].forEach(swap16);
    expect(readPcap(big).records.map((r) => decodeEthernet(r.data))).toEqual(frames('multicast-arp-to-group'));
  });

  it('refuses what is not pcap', () => {
    expect(() => readPcap(new Uint8Array(10))).toThrow(PcapFormatError);
    expect(() => readPcap(new Uint8Array(24))).toThrow(/expected pcap magic a1b2c3d4, got 00000000/);
  });
});

describe('decodeEthernet', () => {
  it('decodes the first ping of a point-to-point VXLAN down to the inner ARP and ICMP', () => {
    const [request, reply, echo, echoReply] = frames('p2p-first-ping');
    expect(request).toMatchObject({
      eth: { type: 'ipv4' },
      ip: { src: '192.168.8.100', dst: '192.168.8.101', protocol: 'udp', ttl: 64, df: false, length: 78 },
      udp: { srcPort: 43027, dstPort: 4789, length: 58 },
      vxlan: { flags: 0x08, vni: 42 },
      inner: {
        eth: { dst: 'ff:ff:ff:ff:ff:ff', type: 'arp' },
        arp: { op: 'request', senderIp: '10.20.1.2', targetIp: '10.20.1.3', targetMac: '00:00:00:00:00:00' },
      },
    });
    expect(reply!.inner).toMatchObject({ arp: { op: 'reply', senderIp: '10.20.1.3', targetIp: '10.20.1.2' } });
    expect(reply!.inner!.arp!.senderMac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(echo!.inner).toMatchObject({ ip: { src: '10.20.1.2', dst: '10.20.1.3', protocol: 'icmp', df: true }, icmp: { type: 'echo-request', code: 0, seq: 1 } });
    expect(echoReply!.inner).toMatchObject({ icmp: { type: 'echo-reply', seq: 1 } });
    expect(echoReply!.inner!.icmp!.id).toBe(echo!.inner!.icmp!.id);
  });

  it('shows the ARP request of multicast VXLAN addressed to the group', () => {
    const [only, ...rest] = frames('multicast-arp-to-group');
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ eth: { dst: '01:00:5e:01:01:01' }, ip: { dst: '239.1.1.1' }, vxlan: { vni: 42 }, inner: { arp: { op: 'request' } } });
  });

  it('decodes VNI 2 and the pinned VM MACs of the bridge lab', () => {
    const decoded = frames('bridge-netns-vm0-ping');
    expect(decoded.map((f) => [f.ip!.dst, f.vxlan!.vni, f.inner!.eth.src])).toEqual([
      ['224.0.0.6', 2, '9e:ab:18:d5:25:55'],
      ['10.10.10.11', 2, '4e:e9:90:34:2e:b5'],
      ['10.10.10.9', 2, '9e:ab:18:d5:25:55'],
      ['10.10.10.11', 2, '4e:e9:90:34:2e:b5'],
    ]);
  });

  it('reports the outer and inner lengths of a packet that fills the overlay MTU', () => {
    const echo = frames('df-ping-1422')[2]!;
    expect(echo.ip).toMatchObject({ length: 1500, df: false });
    expect(echo.inner!.ip).toMatchObject({ length: 1450, df: true });
  });

  it('marks truncated frames instead of throwing', () => {
    const data = readPcap(fixture('p2p-first-ping')).records[2]!.data;
    for (const cut of [0, 10, 20, 40, 45, 60, 70, 100]) expect(() => decodeEthernet(data.subarray(0, cut))).not.toThrow();
    expect(decodeEthernet(data.subarray(0, 10)).truncated).toBe(true);
    expect(decodeEthernet(data.subarray(0, 45)).truncated).toBe(true);
  });

  it('decodes VXLAN on another port only when told to', () => {
    const data = new Uint8Array(readPcap(fixture('p2p-first-ping')).records[0]!.data);
    data[36] = 0x12; // destination port 4789 -> 0x12b5 (4789) ... rewrite to 4800 = 0x12c0
    data[37] = 0xc0;
    expect(decodeEthernet(data).vxlan).toBeUndefined();
    expect(decodeEthernet(data, { vxlanPorts: [4800] }).vxlan).toEqual({ flags: 8, vni: 42 });
  });
});

describe('describeFrame', () => {
  it('reads like tcpdump -n', () => {
    const [request, , echo] = frames('p2p-first-ping');
    expect(describeFrame(request!)).toMatch(/IP 192\.168\.8\.100\.43027 > 192\.168\.8\.101\.4789: UDP VXLAN flags 0x08 vni 42 \[.* > ff:ff:ff:ff:ff:ff ARP request who-has 10\.20\.1\.3 tell 10\.20\.1\.2\]$/);
    expect(describeFrame(echo!)).toMatch(/ICMP echo-request, id \d+, seq 1 DF, length 84\]$/);
  });
});
