import { describe, expect, it } from 'vitest';
import { networkAddress, numberToIp, subnetsOverlap } from './ipv4.ts';

describe('ipv4', () => {
  it.each([
    ['192.168.8.0/24', '192.168.8.0/24', true],
    ['192.168.8.0/24', '192.168.0.0/20', true],
    ['192.168.0.0/20', '192.168.8.0/24', true],
    ['192.168.8.0/24', '192.168.9.0/24', false],
    ['10.10.10.0/24', '192.168.8.0/24', false],
  ])('%s and %s overlap: %s', (a, b, overlap) => {
    expect(subnetsOverlap(a, b)).toBe(overlap);
  });

  it('finds the network address and prints numbers back as addresses', () => {
    expect(networkAddress('192.168.8.77', 20)).toBe('192.168.0.0');
    expect(networkAddress('10.1.2.3', 0)).toBe('0.0.0.0');
    expect(numberToIp(0xc0a808fe)).toBe('192.168.8.254');
  });
});
