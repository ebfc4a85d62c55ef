import { describe, expect, it } from 'vitest';
import { BoundedOutput, describeSize } from './bounded-output.ts';

function feed(output: BoundedOutput, text: string, chunkSize: number): void {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) output.push(bytes.subarray(i, i + chunkSize));
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}\n`).join('');

describe('BoundedOutput', () => {
  it('keeps output within the limit whole, and cuts nothing', () => {
    const output = new BoundedOutput({ headBytes: 100, tailBytes: 100 });
    feed(output, lines(20), 7);
    expect(output.text()).toBe(lines(20));
    expect(output.cut).toBe(0);
    expect(output.since(7)).toBe(lines(20).slice(7));
  });

  it.each([1, 13, 4096, 1 << 20])('keeps the head and the tail of 1 MB written in chunks of %d bytes, and says how much was cut', (chunkSize) => {
    const text = lines(100_000);
    const output = new BoundedOutput({ headBytes: 1024, tailBytes: 2048 });
    feed(output, text, chunkSize);
    expect(output.received).toBe(Buffer.byteLength(text));
    expect(output.cut).toBe(Buffer.byteLength(text) - 3072);
    expect(output.bytes()).toEqual(Buffer.concat([Buffer.from(text).subarray(0, 1024), Buffer.from(text).subarray(-2048)]));
    const [head, marker, ...tail] = output.text().split(/\n(\.\.\. \d+ (?:bytes|KiB|MiB) cut \.\.\.)\n/);
    expect(head).toBe(text.slice(0, 1024));
    expect(marker).toBe(`... ${describeSize(output.cut)} cut ...`);
    expect(tail.join('')).toBe(text.slice(-2048));
  });

  it('keeps a head only when the tail is 0, counting what it drops', () => {
    const output = new BoundedOutput({ headBytes: 10, tailBytes: 0 });
    feed(output, 'abcdefghijklmnopqrstuvwxyz', 4);
    expect(output.bytes().toString()).toBe('abcdefghij');
    expect(output.cut).toBe(16);
  });

  it('gives what was written after an offset, as far as it is kept', () => {
    const output = new BoundedOutput({ headBytes: 4, tailBytes: 6 });
    feed(output, '0123456789abcdefghij', 3);
    expect(output.since(18)).toBe('ij');
    expect(output.since(10)).toBe('efghij'); // in the cut: the whole tail
    expect(output.since(2)).toBe('23\n... 10 bytes cut ...\nefghij');
  });

  it('describes sizes', () => {
    expect([describeSize(512), describeSize(789_504), describeSize(64 * 1024 * 1024)]).toEqual(['512 bytes', '771 KiB', '64 MiB']);
  });
});
