// Reads the classic pcap format (what `tcpdump -w -` writes). Pure: bytes in, records out.

export const LINKTYPE_ETHERNET = 1;

export interface PcapRecord {
  /** Seconds since the epoch, with sub-second precision. */
  time: number;
  /** Length on the wire; `data` may be shorter when the snapshot length cut it. */
  originalLength: number;
  data: Uint8Array;
}

export interface Pcap {
  linkType: number;
  snapLength: number;
  records: PcapRecord[];
  /** Bytes at the end that did not form a whole record (a capture stopped mid-write). */
  trailingBytes: number;
}

export class PcapFormatError extends Error {
  override readonly name = 'PcapFormatError';
}

export function readPcap(bytes: Uint8Array): Pcap {
  if (bytes.length < 24) throw new PcapFormatError(`expected a 24-byte pcap header, got ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = view.getUint32(0, false);
  let little: boolean;
  let nanos: boolean;
  if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) {
    little = false;
    nanos = magicBE === 0xa1b23c4d;
  } else {
    const magicLE = view.getUint32(0, true);
    if (magicLE !== 0xa1b2c3d4 && magicLE !== 0xa1b23c4d) {
      throw new PcapFormatError(`expected pcap magic a1b2c3d4, got ${magicBE.toString(16).padStart(8, '0')}`);
    }
    little = true;
    nanos = magicLE === 0xa1b23c4d;
  }
  const snapLength = view.getUint32(16, little);
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let offset = 24;
  while (offset + 16 <= bytes.length) {
    const seconds = view.getUint32(offset, little);
    const fraction = view.getUint32(offset + 4, little);
    const included = view.getUint32(offset + 8, little);
    const originalLength = view.getUint32(offset + 12, little);
    if (offset + 16 + included > bytes.length) break;
    records.push({
      time: seconds + fraction / (nanos ? 1e9 : 1e6),
      originalLength,
      data: bytes.subarray(offset + 16, offset + 16 + included),
    });
    offset += 16 + included;
  }
  return { linkType, snapLength, records, trailingBytes: bytes.length - offset };
}
