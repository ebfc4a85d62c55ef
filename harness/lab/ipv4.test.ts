import { describe, expect, it } from 'vitest';
import { broadcastAddress, networkAddress, numberToIp, reservedAddressRole, subnetsOverlap } from './ipv4.ts';

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

  it('finds the broadcast address', () => {
    expect(broadcastAddress('192.168.8.77', 24)).toBe('192.168.8.255');
    expect(broadcastAddress('192.168.8.77', 20)).toBe('192.168.15.255');
    expect(broadcastAddress('10.1.2.3', 32)).toBe('10.1.2.3');
    expect(broadcastAddress('10.1.2.3', 0)).toBe('255.255.255.255');
  });

  it.each([
    ['192.168.8.0', '192.168.8.0', 24, 'network'],
    ['192.168.8.255', '192.168.8.0', 24, 'broadcast'],
    ['192.168.8.1', '192.168.8.0', 24, undefined],
    ['192.168.8.254', '192.168.8.0', 24, undefined],
    ['10.0.0.0', '10.0.0.0', 31, undefined],
    ['10.0.0.1', '10.0.0.0', 31, undefined],
    ['10.0.0.3', '10.0.0.0', 30, 'broadcast'],
  ] as const)('%s in %s/%d is reserved as: %s', (ip, network, prefix, role) => {
    expect(reservedAddressRole(ip, network, prefix)).toBe(role);
  });
});
