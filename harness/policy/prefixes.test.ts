// Prefixes read as iproute2's get_prefix reads them: each IPv4 part and the length through
// strtoul(…, 0), which takes leading white space and a sign (a minus wraps past every limit).
import { describe, expect, it } from 'vitest';
import { readPrefix } from './prefixes.ts';

const same = (a: string, b: string) => expect(readPrefix(a), `${a} as ${b}`).toEqual(readPrefix(b));

describe('readPrefix', () => {
  it('reads the spellings strtoul takes as the plain prefix', () => {
    same('+10.201.0.2', '10.201.0.2');
    same(' 10.201.0.2', '10.201.0.2');
    same('10.+201.0. 2', '10.201.0.2');
    same('10.201.-0.2', '10.201.0.2');
    same('0xa.0311.0.2', '10.201.0.2');
    same('10.201.0.0/+24', '10.201.0.0/24');
    same('10.201.0.0/-0', '10.201.0.0/0');
    same('fd00::/+64', 'fd00::/64');
    // get_netmask's second reading, for either family: a dotted mask, or default/all/any as /0.
    same('0/default', '0.0.0.0/0');
    same('0/all', '0.0.0.0/0');
    same('0/0.0.0.0', '0.0.0.0/0');
    same('10.0.0.0/255.0.0.0', '10.0.0.0/8');
    same('fd00::/255.255.0.0', 'fd00::/16');
    same('::/any', '::/0');
    expect(readPrefix('10.201.0.2')).toMatchObject({ family: 4, length: 32 });
  });

  it('reads as no prefix what ip refuses too', () => {
    for (const word of ['10.0.0.0/255.0.255.0', 'fd00::/ffff::', 'default/8', '10.-1.0.2', '10.201.0.2/-8', '10.201.0.2 ', '10.256.0.2', '+-10.0.0.1', '10..0.1', '08.0.0.1', '0x.0.0.1', '+fd00::1']) {
      expect(readPrefix(word), word).toBeUndefined();
    }
  });
});
