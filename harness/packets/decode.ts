// Decodes Ethernet frames down through VXLAN to the inner frame. Pure, no I/O.
// Field names are the vocabulary of capture checks (`match:` in scenarios).

export interface EthernetHeader {
  src: string;
  dst: string;
  /** `ipv4`, `arp`, `ipv6`, or the EtherType in hex (`0x88cc`). */
  type: string;
}

export interface ArpPacket {
  op: 'request' | 'reply' | number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface Ipv4Header {
  src: string;
  dst: string;
  /** `icmp`, `igmp`, `tcp`, `udp`, or the protocol number. */
  protocol: string | number;
  ttl: number;
  /** The don't-fragment bit. */
  df: boolean;
  /** Total length from the header. */
  length: number;
  /** The destination is an IPv4 multicast group (224.0.0.0/4). */
  multicast: boolean;
}

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  length: number;
}

export interface IcmpHeader {
  type: 'echo-request' | 'echo-reply' | 'dest-unreachable' | 'time-exceeded' | number;
  code: number;
  id?: number;
  seq?: number;
}

export interface VxlanHeader {
  flags: number;
  vni: number;
}

export interface Frame {
  eth: EthernetHeader;
  arp?: ArpPacket;
  ip?: Ipv4Header;
  udp?: UdpHeader;
  icmp?: IcmpHeader;
  vxlan?: VxlanHeader;
  /** The Ethernet frame a VXLAN header carries. */
  inner?: Frame;
  /** The frame ended before a header or payload it announced. */
  truncated?: boolean;
  /** Why this frame could not be decoded in full (truncated, or a header that contradicts itself). */
  problem?: string;
}

export interface DecodeOptions {
  /** UDP destination ports whose payload is VXLAN: the lab's own (checks pass them); default IANA 4789 and Linux's 8472. */
  vxlanPorts?: readonly number[];
}

export const DEFAULT_VXLAN_PORTS = [4789, 8472] as const;

/** Marks a frame as not fully decoded; the first problem found is the one kept. */
function fault(frame: Frame, problem: string, truncated = true): void {
  if (truncated) frame.truncated = true;
  frame.problem ??= problem;
}

const ETHER_TYPES: Record<number, string> = { 0x0800: 'ipv4', 0x0806: 'arp', 0x86dd: 'ipv6' };
const IP_PROTOCOLS: Record<number, string> = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp' };
const ICMP_TYPES: Record<number, IcmpHeader['type']> = { 0: 'echo-reply', 3: 'dest-unreachable', 8: 'echo-request', 11: 'time-exceeded' };

const mac = (b: Uint8Array, at: number) => Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
const ipv4 = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

export function decodeEthernet(bytes: Uint8Array, options: DecodeOptions = {}, depth = 0): Frame {
  if (bytes.length < 14) {
    return { eth: { src: '', dst: '', type: 'none' }, truncated: true, problem: `truncated: ${bytes.length} bytes, shorter than an Ethernet header (14)` };
  }
  let offset = 12;
  let etherType = u16(bytes, offset);
  // Step over 802.1Q tags to the real EtherType.
  while ((etherType === 0x8100 || etherType === 0x88a8) && bytes.length >= offset + 6) {
    offset += 4;
    etherType = u16(bytes, offset);
  }
  offset += 2;
  const frame: Frame = {
    eth: { dst: mac(bytes, 0), src: mac(bytes, 6), type: ETHER_TYPES[etherType] ?? `0x${etherType.toString(16).padStart(4, '0')}` },
  };
  const payload = bytes.subarray(offset);
  if (etherType === 0x0806) decodeArp(payload, frame);
  else if (etherType === 0x0800) decodeIpv4(payload, frame, options, depth);
  return frame;
}

function decodeArp(b: Uint8Array, frame: Frame): void {
  // Ethernet/IPv4 ARP only: hardware length 6, protocol length 4.
  if (b.length < 28) return fault(frame, `truncated: ARP needs 28 bytes, ${b.length} captured`);
  if (b[4] !== 6 || b[5] !== 4) return;
  const op = u16(b, 6);
  frame.arp = {
    op: op === 1 ? 'request' : op === 2 ? 'reply' : op,
    senderMac: mac(b, 8),
    senderIp: ipv4(b, 14),
    targetMac: mac(b, 18),
    targetIp: ipv4(b, 24),
  };
}

function decodeIpv4(b: Uint8Array, frame: Frame, options: DecodeOptions, depth: number): void {
  if (b.length < 20) return fault(frame, `truncated: IPv4 header needs 20 bytes, ${b.length} captured`);
  if (b[0]! >> 4 !== 4) return fault(frame, `EtherType IPv4 but IP version ${b[0]! >> 4}`, false);
  // IHL counts 32-bit words: 5 without options, up to 15 with them.
  const headerLength = (b[0]! & 0x0f) * 4;
  const flagsAndOffset = u16(b, 6);
  const protocolNumber = b[9]!;
  frame.ip = {
    src: ipv4(b, 12),
    dst: ipv4(b, 16),
    protocol: IP_PROTOCOLS[protocolNumber] ?? protocolNumber,
    ttl: b[8]!,
    df: (flagsAndOffset & 0x4000) !== 0,
    length: u16(b, 2),
    multicast: b[16]! >> 4 === 0xe,
  };
  if (headerLength < 20) return fault(frame, `IPv4 header length ${headerLength} bytes, below the minimum of 20`, false);
  if (frame.ip.length < headerLength) return fault(frame, `IPv4 total length ${frame.ip.length}, shorter than its ${headerLength}-byte header`, false);
  if (b.length < headerLength) return fault(frame, `truncated: IPv4 header of ${headerLength} bytes, ${b.length} captured`);
  // Bytes past the total length are Ethernet padding; fewer bytes than it mean the capture cut the packet.
  if (b.length < frame.ip.length) fault(frame, `truncated: IPv4 total length ${frame.ip.length}, ${b.length} bytes captured`);
  // Only a first (or only) fragment carries the transport header.
  if ((flagsAndOffset & 0x1fff) !== 0) return;
  const payload = b.subarray(headerLength, Math.min(b.length, frame.ip.length));
  if (protocolNumber === 17) decodeUdp(payload, frame, options, depth);
  else if (protocolNumber === 1) decodeIcmp(payload, frame);
}

function decodeUdp(b: Uint8Array, frame: Frame, options: DecodeOptions, depth: number): void {
  if (b.length < 8) return fault(frame, `truncated: UDP header needs 8 bytes, ${b.length} captured`);
  frame.udp = { srcPort: u16(b, 0), dstPort: u16(b, 2), length: u16(b, 4) };
  const ports = options.vxlanPorts ?? DEFAULT_VXLAN_PORTS;
  if (!ports.includes(frame.udp.dstPort) || depth > 0) return;
  if (b.length < 16) return fault(frame, `truncated: VXLAN header needs 8 bytes after UDP's, ${b.length - 8} captured`);
  frame.vxlan = { flags: b[8]!, vni: (b[12]! << 16) | (b[13]! << 8) | b[14]! };
  frame.inner = decodeEthernet(b.subarray(16), options, depth + 1);
}

function decodeIcmp(b: Uint8Array, frame: Frame): void {
  if (b.length < 4) return fault(frame, `truncated: ICMP header needs 4 bytes, ${b.length} captured`);
  const type = b[0]!;
  frame.icmp = { type: ICMP_TYPES[type] ?? type, code: b[1]! };
  if ((type === 0 || type === 8) && b.length >= 8) {
    frame.icmp.id = u16(b, 4);
    frame.icmp.seq = u16(b, 6);
  }
}

/** The problems of a frame and of the frame it carries, outer first. */
export function frameProblems(frame: Frame): string[] {
  const inner = frame.inner ? frameProblems(frame.inner).map((p) => `inner frame: ${p}`) : [];
  return [...(frame.problem ? [frame.problem] : []), ...inner];
}
