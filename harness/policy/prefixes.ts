// Addresses and prefixes as iproute2's get_prefix reads them (iproute2 v6.1.0 lib/utils.c:453-479
// get_addr_ipv4, 538-620 __get_addr_1, 651-692 get_prefix_1): IPv4 parts through strtoul base 0
// (`0xa.0310.0.1` is 10.200.0.1, `10/8` is 10.0.0.0/8), `default`/`all`/`any` cover everything,
// a `:` makes it IPv6. Pure; used to keep routes and addresses off the ssh connection's ends.

export interface Prefix {
  family: 4 | 6 | 'any';
  bits: bigint;
  length: number;
}

const ULONG_MAX = (1n << 64n) - 1n;

/**
 * C's strtoul(s, &end, 0) on a 64-bit machine, which must use the whole string: leading white
 * space (isspace) and a sign are taken, then 0x hex, leading 0 octal, else decimal. Digits past
 * ULONG_MAX give ULONG_MAX (ERANGE); a minus negates in unsigned long, so `-18446744073709551606`
 * is 10 to ip, as `+10` and ` 10` are. Callers compare with their own limits (255, a length).
 */
function strtoul0(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const digits = m[2]!;
  const magnitude = BigInt(digits.length > 1 && (digits[1] === 'x' || digits[1] === 'X') ? digits : digits.startsWith('0') && digits.length > 1 ? `0o${digits.slice(1)}` : digits);
  if (magnitude > ULONG_MAX) return Number.MAX_SAFE_INTEGER;
  const value = m[1] === '-' ? ((1n << 64n) - magnitude) & ULONG_MAX : magnitude;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

function ipv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const bytes = [0, 0, 0, 0];
  for (const [i, p] of parts.entries()) {
    const n = strtoul0(p);
    if (n === undefined || n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes.reduce((a, b) => (a << 8n) | BigInt(b), 0n);
}

/** inet_pton(AF_INET6): hex groups, one `::`, an IPv4 tail. */
function ipv6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const words = h.split(':');
    for (const [i, w] of words.entries()) {
      if (i === words.length - 1 && w.includes('.')) {
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(w)) return undefined;
        const v4 = w.split('.').map(Number);
        if (v4.some((n) => n > 255)) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(w)) out.push(parseInt(w, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<number>(missing).fill(0), ...tail].reduce((a, g) => (a << 16n) | BigInt(g), 0n);
}

/**
 * get_netmask: a number (strtoul base 0), else what get_addr_1(…, AF_INET) reads as a mask, for
 * either family: a dotted mask, or `default`/`all`/`any` (all-zero data: /0).
 */
function maskLength(s: string): number | undefined {
  const n = strtoul0(s);
  if (n !== undefined) return n;
  if (['default', 'all', 'any'].includes(s)) return 0;
  const mask = ipv4(s);
  if (mask === undefined) return undefined;
  const bits = mask.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') < 0 ? 32 : bits.indexOf('0') : undefined;
}

/** The prefix a word names to `ip route`/`ip addr` (an address alone is a host prefix), or undefined. */
export function readPrefix(word: string): Prefix | undefined {
  const slash = word.indexOf('/');
  const base = slash < 0 ? word : word.slice(0, slash);
  if (['default', 'all', 'any'].includes(base)) return slash < 0 ? { family: 'any', bits: 0n, length: 0 } : undefined;
  const family = base.includes(':') ? 6 : 4;
  const bits = family === 6 ? ipv6(base) : ipv4(base);
  if (bits === undefined) return undefined;
  const max = family === 6 ? 128 : 32;
  const length = slash < 0 ? max : maskLength(word.slice(slash + 1));
  if (length === undefined || length > max) return undefined;
  return { family, bits, length };
}

/** An address as SSH_CONNECTION gives it (IPv4-mapped IPv6 read as IPv4). */
export function readAddress(text: string): Prefix | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  const p = readPrefix(mapped ? mapped[1]! : text.replace(/%.*$/, ''));
  return p && p.family !== 'any' && !text.includes('/') ? p : undefined;
}

/** Does `prefix` contain `address`? `default` contains every address of either family. */
export function covers(prefix: Prefix, address: Prefix): boolean {
  if (prefix.family === 'any') return true;
  if (prefix.family !== address.family) return false;
  const max = BigInt(prefix.family === 6 ? 128 : 32);
  const shift = max - BigInt(prefix.length);
  return prefix.bits >> shift === address.bits >> shift;
}
