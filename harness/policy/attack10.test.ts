// Tenth attack (issue 13): a tc action given an `index` in a filter is bound to the host's action
// of that kind and index if one exists (kernel tcf_idr_check_alloc with bind: "exists && bind ->
// return 0", the new options ignored). The policy checks mirred's own `dev` words, but the action
// the filter ends up using is the host's, with the host's target. Checked by hand on this machine
// (iproute2 6.1.0, kernel 6.18, inside `unshare --net`, veths standing in for the host's devices):
// with the host's `tc filter add dev hostnic ingress ... action mirred egress mirror dev hostifb`
// in place (index 1), the lab's `tc filter add dev a8 egress protocol all prio 1 u32 match u32 0 0
// action mirred egress mirror dev a8p index 1` shows as "mirred (Egress Mirror to device hostifb)
// index 1 ref 2 bind 2", and 50 pings out of a8 left by hostifb (TX 68 packets): lab frames of any
// source MAC sent out of a host device the run did not create. The same binding shares a host's
// policer (police ... index N): the lab's traffic spends the host's token bucket (police, gact and
// skbedit are not built into this machine's kernel, so those cases were not run by hand; the
// kernel's tcf_*_init share the "exists && bind" rule). The options the lab gave are ignored: its
// `redirect dev a8p` became the host's "Egress Mirror to device hostifb". After `ip link del a8` the
// host's action is back to ref 1 (nothing left, but while the lab runs its frames leave by hostifb).
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, checkOnHost, startScope, type HostScope } from './policy.ts';

const scope: HostScope = { devices: new Set(['a8', 'a8p']), namespaces: new Set(), nic: 'enp0s8' };

describe('attack10: a filter action bound to an existing (host) action by index', () => {
  it.each([
    'tc filter add dev a8 egress protocol all prio 1 u32 match u32 0 0 action mirred egress mirror dev a8p index 1',
    'tc filter add dev a8 egress protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev a8p index 1',
    'tc filter add dev a8 ingress protocol all prio 1 u32 match u32 0 0 action police rate 1mbit burst 10k conform-exceed pipe index 1',
    'tc filter add dev a8 ingress protocol all prio 1 u32 match u32 0 0 action gact pass index 1',
    'tc filter replace dev a8 ingress protocol all prio 1 u32 match u32 0 0 action skbedit mark 1 index 1',
    // Every action reads the word with matches(): `ind 1` is `index 1` (checked by hand: bound to the host's mirred, "ref 2 bind 2").
    'tc filter add dev a8 egress protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev a8p ind 1',
    'tc filter add dev a8 egress protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev a8p inde 1',
  ])('%s is refused (index N may be the host\'s action)', (text) => {
    expect(checkArgvOnHost(text.split(' '), scope)?.message).toMatch(/index/);
  });

  it('the same filter without index is still allowed', () => {
    expect(checkArgvOnHost('tc filter add dev a8 egress protocol all prio 1 u32 match u32 0 0 action mirred egress mirror dev a8p'.split(' '), scope)).toBeUndefined();
  });
});

// `ip link add NAME netns NS type veth peer name P` makes NAME inside guest namespace NS, yet the
// scope counts it as a device of the host's namespace (the peer's netns is read, NAME's own is not):
// a device of that name in the host's namespace (another tool's, made mid-run) may then be changed.
// See ssh-attack10-guest-name.ssh.test.ts for what teardown and clean do with the name.
describe('attack10: a device made inside a guest namespace is not the run\'s in the host\'s namespace', () => {
  it.each([
    'ip link add wg0 netns ns1 type veth peer name vb',
    'ip link add name wg0 netns ns1 type veth peer name vb',
  ])('after `%s`, wg0 in the host\'s namespace is not the steps\'', (create) => {
    let s = startScope('enp0s8');
    for (const t of ['ip netns add ns1', create]) {
      const r = checkOnHost(t.split(' '), undefined, s);
      expect(r.problem).toBeUndefined();
      s = r.scope;
    }
    expect(checkOnHost('tc qdisc add dev wg0 root netem loss 100%'.split(' '), undefined, s).problem?.message).toMatch(/wg0/);
    expect(checkOnHost('ip link set dev wg0 down'.split(' '), undefined, s).problem?.message).toMatch(/wg0/);
  });
});
