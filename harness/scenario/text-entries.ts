// Reads a line of iproute2's text output, as a tutorial prints it, into an expectation:
//   "00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9 via eth0 self permanent"   (bridge fdb)
//   "192.168.1.0/24 dev vxlan1 proto kernel scope link src 192.168.1.3"     (ip route)
//   "192.168.1.4 dev vxlan1 lladdr a6:8b:d5:2d:83:3c STALE"                 (ip neigh)
// Fields the line leaves out are free, as in any expectation. Pure.
import type { StateTable } from './schema.ts';

export type Expectation = Record<string, unknown>;

export class TextEntryError extends Error {
  override readonly name = 'TextEntryError';
}

/** Tables whose text lines can be written as expectations. */
export const TEXT_TABLES: readonly StateTable[] = ['fdb', 'route', 'neigh'];

const FDB_VALUES: Record<string, string> = { dev: 'dev', dst: 'dst', via: 'via', vni: 'vni', port: 'port', master: 'master', src_vni: 'srcVni', nhid: 'nhid' };
const FDB_FLAGS = new Set(['self', 'master', 'extern_learn', 'offload', 'router', 'sticky']);
const FDB_STATES = new Set(['permanent', 'static', 'dynamic', 'stale']);
const ROUTE_VALUES: Record<string, string> = { dev: 'dev', proto: 'proto', scope: 'scope', src: 'src', via: 'via', metric: 'metric' };
const NEIGH_VALUES: Record<string, string> = { dev: 'dev', lladdr: 'lladdr' };
const NEIGH_STATES = new Set(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'NONE', 'INCOMPLETE', 'DELAY', 'PROBE', 'FAILED']);

const asNumber = (value: string) => (/^\d+$/.test(value) ? Number(value) : value);

function pairs(words: string[], keys: Record<string, string>, rest: (word: string, out: Expectation) => boolean, what: string): Expectation {
  const out: Expectation = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const key = keys[word];
    if (key) {
      const value = words[++i];
      if (value === undefined) throw new TextEntryError(`"${word}" in a ${what} line needs a value`);
      out[key] = asNumber(value);
    } else if (!rest(word, out)) {
      throw new TextEntryError(`does not read as an ${what} line: "${word}" is not a word of ${what}'s output`);
    }
  }
  return out;
}

function fdbLine(words: string[]): Expectation {
  const [mac, ...rest] = words;
  if (!mac || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw new TextEntryError(`a bridge fdb line starts with a MAC address, not "${mac ?? ''}"`);
  const flags: string[] = [];
  const out = pairs(rest, FDB_VALUES, (word, o) => {
    if (FDB_FLAGS.has(word)) flags.push(word);
    else if (FDB_STATES.has(word)) o.state = word;
    else return false;
    return true;
  }, 'bridge fdb');
  return { mac, ...out, ...(flags.length ? { flags } : {}) };
}

// Route flags as `ip -j route` lists them.
const ROUTE_FLAGS = new Set(['linkdown', 'onlink', 'dead', 'pervasive', 'offload', 'trap', 'notify', 'rt_offload', 'rt_trap', 'rt_offload_failed']);
// What `ip route` prints before the destination of a route that is not unicast.
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast']);

function routeLine(line: string[]): Expectation {
  const type = line[0] !== undefined && ROUTE_TYPES.has(line[0]) ? line[0] : undefined;
  const [dst, ...rest] = type ? line.slice(1) : line;
  if (!dst) throw new TextEntryError('an ip route line starts with its destination');
  // The route check reads `ip route show`, the main table, whose lines never name a table.
  if (rest.includes('table')) throw new TextEntryError('"table" cannot be checked: a route check reads the main table (ip route show), whose lines never say table');
  const flags: string[] = [];
  const out = pairs(rest, ROUTE_VALUES, (word) => ROUTE_FLAGS.has(word) && flags.push(word) > 0, 'ip route');
  return { dst, ...(type ? { type } : {}), ...out, ...(flags.length ? { flags } : {}) };
}

function neighLine(words: string[]): Expectation {
  const [dst, ...rest] = words;
  if (!dst) throw new TextEntryError('an ip neigh line starts with its address');
  // Proxy entries are listed by `ip neigh show proxy` only, which the neighbour check does not read.
  if (rest.includes('proxy')) throw new TextEntryError('"proxy" cannot be checked: the neighbour check reads ip neigh show, which lists no proxy entries');
  const out = pairs(rest, NEIGH_VALUES, (word, o) => {
    if (word === 'router') o.router = true;
    else if (NEIGH_STATES.has(word)) o.state = word;
    else return false;
    return true;
  }, 'ip neigh');
  return { dst, ...out };
}

export function parseTextEntry(table: StateTable, line: string): Expectation {
  const words = line.trim().split(/\s+/).filter(Boolean);
  switch (table) {
    case 'fdb':
      return fdbLine(words);
    case 'route':
      return routeLine(words);
    case 'neigh':
      return neighLine(words);
    default:
      throw new TextEntryError(`${table} expectations are written as mappings; text lines work for ${TEXT_TABLES.join(', ')}`);
  }
}
