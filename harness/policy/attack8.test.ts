// Eighth attack (issue 13): glibc's strtoul takes a minus sign and negates the number in unsigned
// long arithmetic, with no overflow as long as the digits themselves fit in 64 bits: strtoul
// ("-18446744073709551606") is 2^64 - 18446744073709551606 = 10. get_addr_ipv4 (iproute2 v6.1.0
// lib/utils.c) reads each part that way, so `-18446744073709551606.200.0.1` is 10.200.0.1 and
// `-18446744073709551606/8` is 10.0.0.0/8. prefixes.ts's strtoul0 says every negative number but
// -0 "wraps past every limit" (WRAPPED), readPrefix then reads no address at all, and coverProblem
// skips a word it cannot read unless its part before the slash reads: the route goes through.
// Checked by hand on this machine (iproute2 6.1.0, inside `unshare --net`, on a bridge of its
// own): `ip route add -18446744073709551606/8 dev tbridge` gives `10.0.0.0/8 dev tbridge`,
// `ip route add -18446744073709551606.200.0.1 dev tbridge` gives `10.200.0.1 dev tbridge`, and
// `ip addr add 1.2.3.4/-18446744073709551592 dev tbridge` gives 1.2.3.4/24.
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, coverageProblem, type GuardedAddress, type HostScope } from './policy.ts';

const protect: GuardedAddress[] = [{ address: '10.201.0.2', role: 'end' }, { address: '10.200.0.10', role: 'end' }, { address: '10.200.0.1', role: 'gateway' }];
const scope: HostScope = { devices: new Set(['a8']), namespaces: new Set(), nic: 'enp0s8', protect };

describe('attack8: a part written as a negative number strtoul wraps back into 0..255', () => {
  it.each([
    // 2^64 - 18446744073709551606 = 10
    'ip route add -18446744073709551606/8 dev a8',
    'ip route add -18446744073709551606.200.0.1 dev a8',
    'ip route prepend -18446744073709551606.200.0.0/24 dev a8',
    'ip route add 10.-18446744073709551416.0.1 dev a8',
    'ip route add 192.0.2.0/24 via -18446744073709551606.200.0.1 dev a8',
  ])('%s is refused (the cover check and preflight\'s coverageProblem)', (text) => {
    const argv = text.split(' ');
    expect(checkArgvOnHost(argv, scope)?.message).toMatch(/covers 10\.20[01]\.0\.(1|2|10)|cannot read/);
    expect(coverageProblem(argv, protect)?.message).toMatch(/covers|cannot read/);
  });
});

// tc's filters read their `action` keyword with matches() (iproute2 v6.1.0 tc/f_u32.c,
// f_matchall.c, f_flower.c: `matches(*argv, "action")`), so `a` and `ac` start an action list
// too, and parse_action (tc/m_action.c) reads the word after one action's options as the next
// action's kind, with no keyword between. scanKindOptions checks the kind only after a word of 3
// letters or more that matches `actions`: `a skbmod`, `ac skbmod` and `action gact pipe skbmod`
// go through. skbmod `set smac` gives every frame leaving a device a source MAC of the step's
// choosing: on a macvlan on the NIC's link (onNic), what macOnNic refuses for `address`.
// (This machine's kernel has neither act_skbmod nor cls_matchall, so no ssh test shows the
// frames; a distribution kernel has both as modules.)
describe('attack8: a tc action kind after `a`, `ac`, or after another action, is not checked', () => {
  const onNic: HostScope = { ...scope, devices: new Set(['m8']), onNic: new Set(['m8']) };
  it.each([
    'tc filter add dev m8 egress matchall a skbmod set smac 52:54:00:00:00:01',
    'tc filter add dev m8 egress matchall ac skbmod set smac 52:54:00:00:00:01',
    'tc filter add dev m8 egress matchall action gact pipe skbmod set smac 52:54:00:00:00:01',
    'tc filter add dev m8 egress protocol all u32 match u32 0 0 a skbmod set smac 52:54:00:00:00:01',
  ])('%s is refused', (text) => {
    expect(checkArgvOnHost(text.split(' '), onNic)?.message).toMatch(/skbmod/);
  });
});
