// Which MAC addresses a network device may carry. Pure.

/**
 * Why the kernel refuses `mac` as a device's own address (as is_valid_ether_addr does), or
 * undefined when it accepts it. The group bit is the lowest bit of the first octet: such an
 * address (01:00:5e:…, ff:ff:ff:ff:ff:ff) names many receivers, never one device.
 */
export function deviceMacProblem(mac: string): string | undefined {
  const octets = mac.split(/[:-]/).map((o) => parseInt(o, 16));
  if ((octets[0]! & 1) === 1) return mac.toLowerCase() === 'ff:ff:ff:ff:ff:ff' ? 'the broadcast address' : 'a multicast address (the group bit of its first octet is set)';
  if (octets.every((o) => o === 0)) return 'all zeros';
  return undefined;
}
