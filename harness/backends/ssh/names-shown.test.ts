// namesShownCondition: what the wrapper asks the host before it takes a naming command's exit 0
// for its names made or gone (the nineteenth attack: `ip -V link add` exited 0 having done
// nothing). Run here with sh against this machine's own namespace (reads only).
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { startScope, type HostScope } from '../../policy/policy.ts';
import { namesShownCondition } from './backend.ts';

const scope = (devices: string[], namespaces: string[] = []): HostScope => ({ ...startScope('enp0s8'), devices: new Set(devices), namespaces: new Set(namespaces) });
const holds = async (condition: string) => (await execa('sh', ['-c', condition], { reject: false })).exitCode === 0;

describe('the condition a naming command\'s exit 0 must meet on the host', () => {
  it('asks that made devices be there and deleted ones gone', async () => {
    expect(await holds(namesShownCondition(scope([]), scope(['lo'])))).toBe(true);
    expect(await holds(namesShownCondition(scope([]), scope(['vxlab-none0'])))).toBe(false);
    expect(await holds(namesShownCondition(scope(['vxlab-none0']), scope([])))).toBe(true);
    expect(await holds(namesShownCondition(scope(['lo']), scope([])))).toBe(false);
  });

  it('asks about namespaces by their file, and not about the devices that go with a deleted one (freed later)', () => {
    expect(namesShownCondition(scope([], []), scope([], ['ns1']))).toBe("[ -e '/run/netns/ns1' ]");
    expect(namesShownCondition(scope(['va'], ['ns1']), scope([], []))).toBe("! [ -e '/run/netns/ns1' ]");
  });

  it('quotes every name as one word', () => {
    expect(namesShownCondition(scope([]), scope(["a'b"]))).toBe("ip link show dev 'a'\\''b' >/dev/null 2>&1");
  });
});
