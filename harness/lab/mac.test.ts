import { describe, expect, it } from 'vitest';
import { deviceMacProblem } from './mac.ts';

describe('deviceMacProblem', () => {
  it.each(['4e:e9:90:34:2e:b5', 'fa:16:3e:00:00:01', '02:00:00:00:00:00', 'FE:FF:FF:FF:FF:FF'])('accepts the unicast %s', (mac) => {
    expect(deviceMacProblem(mac)).toBeUndefined();
  });

  it.each([
    ['01:00:5e:00:00:01', 'a multicast address (the group bit of its first octet is set)'],
    ['33:33:00:00:00:01', 'a multicast address (the group bit of its first octet is set)'],
    ['ff:ff:ff:ff:ff:ff', 'the broadcast address'],
    ['FF:FF:FF:FF:FF:FF', 'the broadcast address'],
    ['00:00:00:00:00:00', 'all zeros'],
  ])('refuses %s: %s', (mac, problem) => {
    expect(deviceMacProblem(mac)).toBe(problem);
  });
});
