// The host scope after a list of steps, each of which the scope must let through: what the policy
// tests of the ssh attacks start from (a host whose lab NIC is enp0s8).
import { expect } from 'vitest';
import { checkArgvOnHost, scopeAfter, startScope, type HostScope } from '../policy.ts';

/** The scope after `steps` (words split on spaces), with `devices` and `namespaces` planned by the scenario. */
export function scopeAfterSteps(steps: readonly string[], devices: readonly string[], namespaces: readonly string[] = []): HostScope {
  let scope = startScope('enp0s8', { planned: { devices: new Set(devices), namespaces: new Set(namespaces) } });
  for (const step of steps) {
    expect(checkArgvOnHost(step.split(' '), scope), step).toBeUndefined();
    scope = scopeAfter(step.split(' '), scope);
  }
  return scope;
}
