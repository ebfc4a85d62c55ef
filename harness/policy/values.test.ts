import { describe, expect, it } from 'vitest';
import { ipObject } from './ip.ts';
import { isInterfaceName } from './values.ts';

describe('ipObject', () => {
  it.each([
    ['a', 'address'], ['addr', 'address'], ['l', 'link'], ['link', 'link'], ['n', 'neighbor'], ['ne', 'neighbor'],
    ['neighbour', 'neighbor'], ['net', 'netns'], ['netc', 'netconf'], ['r', 'route'], ['ru', 'rule'], ['bogus', undefined], [undefined, undefined],
  ] as const)('reads %j as %j, as iproute2 does', (word, object) => {
    expect(ipObject(word)).toBe(object);
  });
});

describe('isInterfaceName', () => {
  it('follows the kernel', () => {
    expect(['eth0', 'vxlan0', 'veth-c1', 'c1-eth0', 'enp0s8', 'a.b', 'x'.repeat(15)].every(isInterfaceName)).toBe(true);
    expect(['', 'x'.repeat(16), 'a b', 'a/b', 'eth0:1', '.', '..', 'ééééééééé'].some(isInterfaceName)).toBe(false);
  });
});
