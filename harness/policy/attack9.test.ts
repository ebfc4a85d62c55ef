// Ninth attack (issue 13): tcCommand finds the device a tc command acts on as every `dev WORD`
// after the verb (valuesOf), so the `dev` of a mirred action counts as the filter's own. `tc
// filter add block N ... action mirred egress redirect dev a8` names no device of its own: it
// acts on shared block N, which may be the host's (a qdisc's ingress_block/egress_block on the
// host's NIC). Checked by hand on this machine (iproute2 6.1.0, kernel 6.18, inside `unshare
// --net`, bridges standing in for the NIC): with `tc qdisc add dev hostnic ingress_block 7 clsact`
// in place, `tc filter add block 7 protocol all prio 1 u32 match u32 0 0 action mirred egress
// redirect dev a8` puts the filter on hostnic's ingress (every frame stolen to a8), and after
// `ip link del a8` it stays, redirecting to a device that is gone (`Egress Redirect to device *`):
// the host's NIC then drops everything it receives.
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, type GuardedAddress, type HostScope } from './policy.ts';

const protect: GuardedAddress[] = [{ address: '10.201.0.2', role: 'end' }, { address: '10.200.0.10', role: 'end' }, { address: '10.200.0.1', role: 'gateway' }];
const scope: HostScope = { devices: new Set(['a8']), namespaces: new Set(), nic: 'enp0s8', protect };

describe('attack9: a tc filter on a shared block, its only `dev` the mirred action\'s', () => {
  it.each([
    'tc filter add block 7 protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev a8',
    'tc filter replace block 7 protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev a8',
    'tc filter add block 7 protocol ip prio 1 u32 match ip dst 192.0.2.1/32 action gact drop action mirred egress mirror dev a8',
    'tc filter del block 7 protocol all prio 1 u32 match u32 0 0 action mirred egress mirror dev a8',
  ])('%s is refused (the block may be the host\'s NIC\'s)', (text) => {
    expect(checkArgvOnHost(text.split(' '), scope)?.message).toMatch(/block/);
  });
});

describe('attack9: tc on a device the steps create still works on an ssh host', () => {
  const made: HostScope = { devices: new Set(['a8', 'b8']), namespaces: new Set(), nic: 'enp0s8' };
  it.each([
    'tc qdisc add dev a8 clsact',
    'tc filter add dev a8 ingress protocol all u32 match u32 0 0 action mirred egress redirect dev b8',
    'tc qdisc add dev a8 root pfifo limit 7',
  ])('%s is allowed', (text) => {
    expect(checkArgvOnHost(text.split(' '), made)).toBeUndefined();
  });
  it.each([
    ['tc qdisc add dev a8 ingress_block 7 clsact', /shared `ingress_block` 7/],
    ['tc qdisc add dev a8 egress_block 7 clsact', /shared `egress_block` 7/],
    ['tc filter add dev enp0s8 ingress protocol all u32 match u32 0 0 action mirred egress redirect dev a8', /NIC enp0s8/],
  ])('%s is refused', (text, message) => {
    expect(checkArgvOnHost(text.split(' '), made)?.message).toMatch(message);
  });
});
