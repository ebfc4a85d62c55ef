// Reads the kernel's tables as iproute2 prints them in JSON, renamed to the words of the
// text output the tutorials show (`dst ... via eth0 self permanent`). Pure.
import type { StateTable } from '../scenario/schema.ts';

export type Entry = Record<string, unknown>;

export const TABLE_COMMANDS: Record<StateTable, string[]> = {
  fdb: ['bridge', '-j', 'fdb', 'show'],
  neigh: ['ip', '-j', 'neigh', 'show'],
  link: ['ip', '-j', '-d', 'link', 'show'],
  route: ['ip', '-j', 'route', 'show'],
  bridgeLink: ['bridge', '-j', 'link', 'show'],
  addr: ['ip', '-j', 'addr', 'show'],
};

/**
 * The monitor of a table whose every change the kernel announces, so that a window may read it only
 * when the monitor prints (iproute2 6.1 prints monitors as text whatever `-j` says: a line is only
 * a cue to read the JSON table again). Only the FDB: the kernel moves neighbours to DELAY on a timer
 * without a word (seen with `ip monitor neigh`), and the other tables were not checked; those
 * windows read every 100 ms.
 */
export const TABLE_MONITORS: Partial<Record<StateTable, string[]>> = {
  fdb: ['bridge', 'monitor', 'fdb'],
};

type Raw = Record<string, unknown>;

const defined = (entry: Entry): Entry => Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined && v !== ''));

function fdb(raw: Raw): Entry {
  return defined({
    mac: raw.mac, dev: raw.ifname, dst: raw.dst, via: raw.viaIf, vni: raw.vni, port: raw.port,
    // bridge prints no word for a learned (NUD_REACHABLE) entry, and "" in JSON: the tutorials call it dynamic.
    master: raw.master, state: raw.state === '' ? 'dynamic' : raw.state, flags: raw.flags,
    srcVni: raw.src_vni, nhid: raw.nhid,
  });
}

function neigh(raw: Raw): Entry {
  // ip prints `"router": null` for a router's entry (the word `router` in text).
  return defined({ dst: raw.dst, dev: raw.dev, lladdr: raw.lladdr, state: raw.state, router: 'router' in raw ? true : undefined });
}

function link(raw: Raw): Entry {
  const info = (raw.linkinfo ?? {}) as { info_kind?: string; info_data?: Raw };
  const data = info.info_data;
  return defined({
    dev: raw.ifname, mtu: raw.mtu, address: raw.address, state: raw.operstate, flags: raw.flags,
    master: raw.master, kind: info.info_kind,
    vxlan: info.info_kind === 'vxlan' && data
      ? defined({
          id: data.id, group: data.group, remote: data.remote, local: data.local, dev: data.link, port: data.port,
          learning: data.learning ?? false, proxy: data.proxy ?? false, l2miss: data.l2miss ?? false, l3miss: data.l3miss ?? false,
          ttl: data.ttl, ageing: data.ageing,
        })
      : undefined,
  });
}

function route(raw: Raw): Entry {
  return defined({
    dst: raw.dst, dev: raw.dev, proto: raw.protocol, scope: raw.scope, src: raw.prefsrc,
    // ip prints a route's type only when it is not unicast.
    via: raw.gateway, metric: raw.metric, type: raw.type ?? 'unicast', flags: raw.flags,
  });
}

function bridgeLink(raw: Raw): Entry {
  return defined({ dev: raw.ifname, master: raw.master, state: raw.state, mtu: raw.mtu, cost: raw.cost, priority: raw.priority });
}

/** One entry per address (`inet 192.168.1.3/24 scope global vxlan1`), or one for a link that has none. */
function addr(raw: Raw): Entry[] {
  const link = { dev: raw.ifname, mtu: raw.mtu, state: raw.operstate, mac: raw.address, flags: raw.flags };
  const infos = (raw.addr_info ?? []) as Raw[];
  if (infos.length === 0) return [defined(link)];
  return infos.map((a) => defined({ ...link, address: `${String(a.local)}/${String(a.prefixlen)}`, family: a.family, scope: a.scope }));
}

const NORMALIZERS: Record<StateTable, (raw: Raw) => Entry | Entry[]> = { fdb, neigh, link, route, bridgeLink, addr };

export function parseTable(table: StateTable, json: string): Entry[] {
  const trimmed = json.trim();
  if (!trimmed) return [];
  const raw = JSON.parse(trimmed) as unknown;
  if (!Array.isArray(raw)) throw new Error(`expected a JSON list from ${TABLE_COMMANDS[table].join(' ')}`);
  return raw.flatMap<Entry>((r) => NORMALIZERS[table](r as Raw));
}
