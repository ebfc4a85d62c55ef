// Twenty-fifth attack (issue 13), policy level: net.ipv4 keys every namespace lists but whose write
// reaches the whole kernel (tcp_cong.c: the allowed list's flags on every algorithm; the default's
// module autoload, request_module("tcp_%s")). Refused as writes on every backend, in guests too.
import { describe, expect, it } from 'vitest';
import { checkArgv, checkArgvOnHost } from './policy.ts';
import { scopeAfterSteps } from './testing/scope-after-steps.ts';

describe('attack25: kernel-wide TCP sysctls', () => {
  const scope = scopeAfterSteps(['ip netns add ns1'], [], ['ns1']);
  it.each([
    'ip netns exec ns1 sysctl -w net.ipv4.tcp_allowed_congestion_control=reno',
    'ip netns exec ns1 sysctl -w net.ipv4.tcp_congestion_control=htcp',
    'ip netns exec ns1 sysctl -w net/ipv4/tcp_congestion_control=htcp',
  ])('%s is refused on ssh hosts', (step) => {
    expect(checkArgvOnHost(step.split(' '), scope)?.message).toMatch(/every network namespace lists but its write/);
  });
  it.each(['sysctl -w net.ipv4.tcp_allowed_congestion_control=reno', 'sysctl net.ipv4.tcp_congestion_control=htcp'])('%s is refused on every backend', (step) => {
    expect(checkArgv(step.split(' '))?.message).toMatch(/every network namespace lists but its write/);
  });
  it('lets reads of them through, and per-namespace TCP keys', () => {
    expect(checkArgv('sysctl net.ipv4.tcp_congestion_control'.split(' '))).toBeUndefined();
    expect(checkArgv('sysctl -w net.ipv4.tcp_ecn=1'.split(' '))).toBeUndefined();
  });
});
