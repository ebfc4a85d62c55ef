// Fourth attack (issue 13): the host scope read against iproute2 v6.1.0; each case was let
// through on main at 76369e1 and is refused on an ssh host now.
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, type HostScope } from './policy.ts';

const scope: HostScope = { devices: new Set(['vxlan0']), namespaces: new Set(), nic: 'enp0s8' };

describe('ssh host scope: tc mirred reads its device with matches("dev") (tc/m_mirred.c parse_egress)', () => {
  // `de mgmt` is `dev mgmt` to tc: every packet leaving vxlan0 is copied (or moved) out of the
  // host's management NIC, or injected into its ingress, which the scope never sees.
  it.each([
    'tc filter add dev vxlan0 egress protocol all u32 match u32 0 0 action mirred egress mirror de mgmt',
    'tc filter add dev vxlan0 egress protocol all u32 match u32 0 0 action mirred egress redirect d enp0s8',
    'tc filter add dev vxlan0 ingress protocol all u32 match u32 0 0 action mirred ingress redirect de mgmt',
  ])('%s is refused', (text) => {
    const argv = text.split(' ');
    const at = argv.lastIndexOf(argv.at(-1)!);
    expect(checkArgvOnHost(argv, scope)).toMatchObject({ index: at });
  });
  it('the same with `dev` is refused today (the control)', () => {
    const argv = 'tc filter add dev vxlan0 egress protocol all u32 match u32 0 0 action mirred egress mirror dev mgmt'.split(' ');
    expect(checkArgvOnHost(argv, scope)).toMatchObject({ index: argv.length - 1 });
  });
});
