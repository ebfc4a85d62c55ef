// A program's output kept within a fixed memory budget while it runs: the first `headBytes` and
// the last `tailBytes`, and a count of what fell in between. `ping -f` in a step once put 772 KB
// into one TAP diagnostic; the head says what the program was doing, the tail how it ended.

export interface OutputLimit {
  headBytes: number;
  tailBytes: number;
}

/** Each stream (stdout, stderr) of a command, and the stderr of a background program. */
export const COMMAND_OUTPUT_LIMIT: OutputLimit = { headBytes: 32 * 1024, tailBytes: 32 * 1024 };

/** A capture's pcap (tcpdump's stdout): decoded whole, so only a head, and a generous one. */
export const CAPTURE_OUTPUT_LIMIT: OutputLimit = { headBytes: 64 * 1024 * 1024, tailBytes: 0 };

/** `771 KiB`, or `512 bytes` below one KiB, or `64 MiB`. */
export function describeSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

export class BoundedOutput {
  private head: Buffer[] = [];
  private headLength = 0;
  private tail: Buffer[] = [];
  private tailLength = 0;
  /** Every byte the program wrote, kept or not. */
  received = 0;

  constructor(readonly limit: OutputLimit) {}

  push(chunk: Buffer): void {
    this.received += chunk.length;
    let rest = chunk;
    if (this.headLength < this.limit.headBytes) {
      const taken = rest.subarray(0, this.limit.headBytes - this.headLength);
      this.head.push(Buffer.from(taken));
      this.headLength += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0 || this.limit.tailBytes === 0) return;
    this.tail.push(Buffer.from(rest.subarray(Math.max(0, rest.length - this.limit.tailBytes))));
    this.tailLength += Math.min(rest.length, this.limit.tailBytes);
    this.trimTail();
  }

  private trimTail(): void {
    let excess = this.tailLength - this.limit.tailBytes;
    while (excess > 0) {
      const first = this.tail[0]!;
      if (first.length <= excess) {
        this.tail.shift();
        excess -= first.length;
        this.tailLength -= first.length;
      } else {
        this.tail[0] = Buffer.from(first.subarray(excess));
        this.tailLength -= excess;
        excess = 0;
      }
    }
    // Many tiny chunks: keep the list short so that trimming stays cheap.
    if (this.tail.length > 64) this.tail = [Buffer.concat(this.tail)];
  }

  /** Bytes dropped between the head and the tail. */
  get cut(): number {
    return this.received - this.headLength - this.tailLength;
  }

  /** The bytes kept, head then tail, without a marker (for binary output). */
  bytes(): Buffer {
    return Buffer.concat([...this.head, ...this.tail]);
  }

  /** The output as text, with a line saying how much was cut, where it was cut. */
  text(): string {
    return this.render(0);
  }

  private render(headFrom: number): string {
    const head = Buffer.concat(this.head).subarray(headFrom).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    return this.cut === 0 ? head + tail : `${head}\n... ${describeSize(this.cut)} cut ...\n${tail}`;
  }

  /** The text written after the first `offset` bytes, as far as it is still kept. */
  since(offset: number): string {
    const tailStart = this.received - this.tailLength;
    if (offset >= tailStart) return Buffer.concat(this.tail).subarray(offset - tailStart).toString('utf8');
    if (offset >= this.headLength) return Buffer.concat(this.tail).toString('utf8');
    return this.render(offset);
  }
}
