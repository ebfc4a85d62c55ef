import { describe, expect, it } from 'vitest';
import { netnsWorkRunning } from './kernel-settle.ts';

describe('netnsWorkRunning', () => {
  it('is true while a kernel worker is named for the netns workqueue it runs (`+`)', () => {
    expect(netnsWorkRunning(['bash', 'kworker/u8:5+netns', 'kworker/0:1-events'])).toBe(true);
  });

  it('is false for a worker that last ran netns work (`-`), the rescuer, or other work', () => {
    expect(netnsWorkRunning(['kworker/u8:5-netns', 'kworker/R-netns', 'kworker/1:2+events', 'netns'])).toBe(false);
  });
});
