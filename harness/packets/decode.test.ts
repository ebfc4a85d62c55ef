import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeFrame } from './describe.ts';
import { decodeEthernet, frameProblems, type Frame } from './decode.ts';
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

/** A crafted Ethernet + IPv4 + UDP + VXLAN + inner ARP frame; `options` are IPv4 option bytes (a multiple of 4). */
function crafted({ options = [] as number[], ihl, totalLength, dstPort = 4789 }: { options?: number[]; ihl?: number; totalLength?: number; dstPort?: number } = {}): Uint8Array {
  const innerArp = [
    ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ...[0x02, 0, 0, 0, 0, 1], 0x08, 0x06,
    0, 1, 0x08, 0, 6, 4, 0, 1, ...[0x02, 0, 0, 0, 0, 1], 10, 20, 1, 2, ...[0, 0, 0, 0, 0, 0], 10, 20, 1, 3,
  ];
  const vxlan = [0x08, 0, 0, 0, 0, 0, 42, 0];
  const udpLength = 8 + vxlan.length + innerArp.length;
  const udp = [0xab, 0xcd, dstPort >> 8, dstPort & 0xff, udpLength >> 8, udpLength & 0xff, 0, 0];
  const headerLength = 20 + options.length;
  const total = totalLength ?? headerLength + udpLength;
  const ip = [0x40 | (ihl ?? headerLength / 4), 0, total >> 8, total & 0xff, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 8, 100, 192, 168, 8, 101, ...options];
  const eth = [...[0x02, 0, 0, 0, 0, 0xb], ...[0x02, 0, 0, 0, 0, 0xa], 0x08, 0x00];
  return new Uint8Array([...eth, ...ip, ...udp, ...vxlan, ...innerArp]);
}

describe('decodeEthernet on crafted frames', () => {
  it('steps over IPv4 options by the header length (IHL 6: a 4-byte router-alert option)', () => {
    const frame = decodeEthernet(crafted({ options: [0x94, 0x04, 0, 0] }));
    expect(frame).toMatchObject({ udp: { srcPort: 0xabcd, dstPort: 4789 }, vxlan: { flags: 8, vni: 42 }, inner: { arp: { op: 'request', targetIp: '10.20.1.3' } } });
    expect(frameProblems(frame)).toEqual([]);
  });

  it('reports a header length below 20 bytes instead of reading the header as payload', () => {
    const frame = decodeEthernet(crafted({ ihl: 4 }));
    expect(frame.udp).toBeUndefined();
    expect(frameProblems(frame)).toEqual(['IPv4 header length 16 bytes, below the minimum of 20']);
  });

  it('reports a header length longer than the bytes captured', () => {
    const frame = decodeEthernet(crafted({ ihl: 15 }).subarray(0, 14 + 40));
    expect(frame.truncated).toBe(true);
    expect(frameProblems(frame)).toEqual(['truncated: IPv4 header of 60 bytes, 40 captured']);
  });

  it('reports a packet cut short of its IPv4 total length, and still decodes what is there', () => {
    const whole = crafted();
    const frame = decodeEthernet(whole.subarray(0, whole.length - 10));
    expect(frame.truncated).toBe(true);
    expect(frame.vxlan).toEqual({ flags: 8, vni: 42 });
    expect(frameProblems(frame)).toEqual([
      `truncated: IPv4 total length ${whole.length - 14}, ${whole.length - 24} bytes captured`,
      'inner frame: truncated: ARP needs 28 bytes, 18 captured',
    ]);
  });

  it('ignores Ethernet padding past the IPv4 total length', () => {
    const frame = decodeEthernet(new Uint8Array([...crafted(), 0, 0, 0, 0]));
    expect(frameProblems(frame)).toEqual([]);
  });

  it('reports frames too short for Ethernet, IPv4, UDP or VXLAN', () => {
    const whole = crafted();
    expect(frameProblems(decodeEthernet(whole.subarray(0, 10)))).toEqual(['truncated: 10 bytes, shorter than an Ethernet header (14)']);
    expect(frameProblems(decodeEthernet(whole.subarray(0, 14 + 12)))).toEqual(['truncated: IPv4 header needs 20 bytes, 12 captured']);
    expect(frameProblems(decodeEthernet(crafted({ totalLength: 24 }))).map((p) => p.replace(/\d+ bytes captured/, 'N'))).toEqual(['truncated: UDP header needs 8 bytes, 4 captured']);
  });

  it('says whether the destination is a multicast group', () => {
    const group = crafted();
    group.set([239, 1, 1, 1], 14 + 16);
    expect(decodeEthernet(group).ip!.multicast).toBe(true);
    expect(decodeEthernet(crafted()).ip!.multicast).toBe(false);
  });

  it('decodes VXLAN on exactly the ports it is given', () => {
    expect(decodeEthernet(crafted({ dstPort: 4790 }), { vxlanPorts: [4790] }).vxlan).toEqual({ flags: 8, vni: 42 });
    expect(decodeEthernet(crafted({ dstPort: 4789 }), { vxlanPorts: [4790] }).vxlan).toBeUndefined();
  });
});

describe('describeFrame', () => {
  it('reads like tcpdump -n', () => {
    const [request, , echo] = frames('p2p-first-ping');
    expect(describeFrame(request!)).toMatch(/IP 192\.168\.8\.100\.43027 > 192\.168\.8\.101\.4789: UDP VXLAN flags 0x08 vni 42 \[.* > ff:ff:ff:ff:ff:ff ARP request who-has 10\.20\.1\.3 tell 10\.20\.1\.2\]$/);
    expect(describeFrame(echo!)).toMatch(/ICMP echo-request, id \d+, seq 1 DF, length 84\]$/);
  });
});
