// Sixteenth attack (issue 13), policy level: the kernel deletes a VXLAN whose lower device
// (`dev X`) is unregistered (drivers/net/vxlan: vxlan_handle_lowerdev_unregister), but the host
// scope ties only macvlan/macvtap/vlan/ipvlan/ipvtap (`link X`) to their lower device
// (UPPER_KINDS). After `ip link del va` the VXLAN's name stays the run's while no device has it:
// teardown and clean would delete a device someone else gives that name later, and steps may change it.
// Checked on this machine's kernel (unshare -n): after `ip link del va` no vx5 is left.
import { describe, expect, it } from 'vitest';
import type { HostScope } from './policy.ts';
import { scopeAfterSteps } from './testing/scope-after-steps.ts';

const afterSteps = (steps: string[]): HostScope => scopeAfterSteps(steps, ['va', 'vb', 'vx5']);

describe('a VXLAN on a created lower device, the lower device deleted', () => {
  it('leaves the scope with it (the kernel deletes the VXLAN too)', () => {
    const scope = afterSteps(['ip link add va type veth peer name vb', 'ip link add vx5 type vxlan id 5 dev va dstport 4789', 'ip link del va']);
    expect([...scope.devices]).not.toContain('vx5');
  });
});
