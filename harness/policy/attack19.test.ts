// Nineteenth attack (issue 13), policy level: spellings with which ip exits 0 having done nothing,
// so that a run's ownership (a naming command's exit 0 says its names changed) was wrong: `-V`
// (and `-help`) before a command, and `ip -B link del` of a bridge port. ssh-attack19-version
// shows them on sshd hosts.
import { describe, expect, it } from 'vitest';
import { checkArgv, checkArgvOnHost, type HostScope } from './policy.ts';
import { scopeAfterSteps } from './testing/scope-after-steps.ts';

const words = (s: string) => s.split(' ');
const after = (steps: string[]): HostScope => scopeAfterSteps(steps, ['va', 'vb', 'br9', 'wg0'], ['ns1']);

describe('attack19: options with which a program exits before its command', () => {
  it.each(['ip -V link add wg0 type veth peer name wg1', 'ip -Vers link del va', 'ip --Version netns del ns1', 'ip -help link del va', 'bridge -V fdb del 00:00:00:00:00:00 dev va', 'tc -V qdisc show'])('refuses %s on every backend', (step) => {
    expect(checkArgv(words(step))?.message).toMatch(/exits without running the command after it/);
  });
  it('lets -V alone through', () => {
    expect(checkArgv(['ip', '-V'])).toBeUndefined();
  });
});

describe('attack19: the bridge family on ssh hosts', () => {
  const s = after(['ip netns add ns1', 'ip link add br9 type bridge', 'ip link add va type veth peer name vb', 'ip link set dev va master br9']);
  it.each(['ip -B link del va', 'ip -f bridge link set dev va down', 'ip -family bridge link del va', 'ip netns exec ns1 ip -B link del vb'])('refuses %s', (step) => {
    expect(checkArgvOnHost(words(step), s)?.message).toMatch(/bridge family/);
  });
  it('lets reads in the bridge family through', () => {
    expect(checkArgvOnHost(words('ip -B link show'), s)).toBeUndefined();
  });
});
