// Minimal IPv4 arithmetic for validating lab addresses.

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function parseCidr(cidr: string): { address: string; prefixLength: number } {
  const [address, prefix] = cidr.split('/');
  return { address: address!, prefixLength: Number(prefix) };
}

export function inSubnet(ip: string, network: string, prefixLength: number): boolean {
  if (prefixLength === 0) return true;
  const mask = prefixLength === 32 ? 0xffffffff : (~0 << (32 - prefixLength)) >>> 0;
  return ((ipToNumber(ip) & mask) >>> 0) === ((ipToNumber(network) & mask) >>> 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

/** The subnet's network address (`192.168.8.7/24` → `192.168.8.0`). */
export function networkAddress(ip: string, prefixLength: number): string {
  const mask = prefixLength === 0 ? 0 : (~0 << (32 - prefixLength)) >>> 0;
  return numberToIp((ipToNumber(ip) & mask) >>> 0);
}

/** The subnet's broadcast address (`192.168.8.7/24` → `192.168.8.255`). */
export function broadcastAddress(ip: string, prefixLength: number): string {
  const hostBits = prefixLength === 0 ? 0xffffffff : ~(~0 << (32 - prefixLength)) >>> 0;
  return numberToIp((ipToNumber(ip) | hostBits) >>> 0);
}

/** Why `ip` cannot be a host of the subnet (its network or broadcast address), or undefined. /31 and /32 have neither. */
export function reservedAddressRole(ip: string, network: string, prefixLength: number): 'network' | 'broadcast' | undefined {
  if (prefixLength > 30) return undefined;
  if (ip === networkAddress(network, prefixLength)) return 'network';
  if (ip === broadcastAddress(network, prefixLength)) return 'broadcast';
  return undefined;
}

/** Do two subnets (`a.b.c.d/n`) share any address? */
export function subnetsOverlap(a: string, b: string): boolean {
  const [x, y] = [parseCidr(a), parseCidr(b)];
  const shorter = Math.min(x.prefixLength, y.prefixLength);
  return inSubnet(x.address, y.address, shorter);
}
