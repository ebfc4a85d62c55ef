// Eleventh attack (issue 13): `ip link property add|del` is read with iplink_parse's grammar, but
// iplink_prop_mod reads its own: `altname NAME` takes NAME, every other word (after an optional
// `dev`) is the device. vxlab took the last bare word (the altname) as the device, so
// `ip link property add dev enp0s8 altname vb` is allowed whenever vb is in the scope. And the
// scope keeps names whose device went without a step naming it (a veth's peer goes with its other
// end): vb is then free in the kernel and becomes the NIC's altname; every later step on "vb" acts
// on the NIC (checked by hand in `unshare --net`: enp0s8 DOWN, and `ip link del vb` deletes it).
// See ssh-attack11-altname.ssh.test.ts for the run on sshd hosts.
import { describe, expect, it } from 'vitest';
import { checkOnHost, startScope, type HostScope } from './policy.ts';

function walk(lines: readonly string[]): { scope: HostScope; problems: (string | undefined)[] } {
  let s = startScope('enp0s8');
  const problems: (string | undefined)[] = [];
  for (const t of lines) {
    const r = checkOnHost(t.split(' '), undefined, s);
    problems.push(r.problem?.message);
    s = r.scope;
  }
  return { scope: s, problems };
}

describe('attack11: ip link property reads its device as iplink_prop_mod does', () => {
  it.each([
    'ip link property add dev enp0s8 altname vb',
    'ip link property add enp0s8 altname vb',
    'ip link property del dev enp0s8 altname vb',
    'ip link prop add dev mgmt altname vb',
  ])('%s is refused although vb is the steps\' (the device is the NIC or the host\'s)', (text) => {
    const r = walk(['ip link add vb type bridge', text]);
    expect(r.problems[1]).toMatch(/enp0s8|mgmt|altname|property/);
  });
});

describe('attack11: a veth peer leaves the scope with its other end', () => {
  it('after `ip link del va`, vb (its peer) is not a device of the steps', () => {
    const r = walk(['ip link add va type veth peer name vb', 'ip link del va']);
    expect([...r.scope.devices]).toEqual([]);
  });
  it('after `ip netns del ns1` holding va, its host-side peer vb is not a device of the steps', () => {
    const r = walk(['ip netns add ns1', 'ip link add vb type veth peer name va netns ns1', 'ip netns del ns1']);
    expect([...r.scope.devices]).toEqual([]);
  });
});
