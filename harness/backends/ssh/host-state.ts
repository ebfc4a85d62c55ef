// What a host's network looks like, as far as a lab's steps can change it, in a form that
// compares field by field: links, addresses, routes, permanent neighbours, FDB entries added by
// hand, guest namespaces, and the values of the net.* sysctls the steps write. Pure: reading
// the host is the backend's, deciding what to undo is here.

export interface LinkState {
  mtu: number;
  up: boolean;
  master?: string;
  address?: string;
  kind?: string;
}

export interface RouteState {
  family: 4 | 6;
  table: string;
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
}

export interface NeighState {
  dst: string;
  dev: string;
  lladdr?: string;
}

export interface FdbState {
  mac: string;
  dev: string;
  dst?: string;
  vlan?: number;
  master?: string;
}

/**
 * Keyed by device names, which a step chooses (`__proto__`, `constructor`): built with a null
 * prototype, and read only through `own()`, never `in` or a plain index.
 */
export interface HostState {
  links: Record<string, LinkState>;
  /** dev → addresses as `ADDR/PREFIX`, sorted. */
  addresses: Record<string, string[]>;
  routes: RouteState[];
  neighbours: NeighState[];
  fdb: FdbState[];
  namespaces: string[];
  /** Whether /run/netns exists: `ip netns add` makes it (and mounts it on itself). */
  netnsDir: boolean;
  sysctls: Record<string, string>;
}

/**
 * The commands whose output `parseHostState` reads, in this order (each an argv). The host runs
 * those that start with BATCHED_READ as one `ip -batch` (host-io.ts: one process, not three).
 */
export const STATE_READS: readonly (readonly string[])[] = [
  ['ip', '-j', '-d', 'link', 'show'],
  ['ip', '-j', '-d', 'addr', 'show'],
  ['ip', '-4', '-j', 'route', 'show', 'table', 'all'],
  ['ip', '-6', '-j', 'route', 'show', 'table', 'all'],
  ['ip', '-j', '-d', 'neigh', 'show'],
  ['bridge', '-j', 'fdb', 'show'],
  ['ip', '-j', 'netns', 'list'],
  ['sh', '-c', 'if test -d /run/netns; then echo yes; else echo no; fi'],
];

/** ip's options shared by the reads the host runs in one batch (a family option would apply to every line, so routes stay apart). */
export const BATCHED_READ: readonly string[] = ['ip', '-j', '-d'];

type Json = Record<string, unknown>;

/** An empty record with no prototype: a key named `__proto__` is just a key. */
export const record = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
/** The value at `key` when the record itself has it (a marker's JSON.parse gives plain objects). */
export const own = <T>(rec: Record<string, T>, key: string): T | undefined => (Object.hasOwn(rec, key) ? rec[key] : undefined);
const list = (text: string): Json[] => (text.trim() === '' ? [] : (JSON.parse(text) as Json[]));
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function routeKey(r: RouteState): string {
  return `${r.family} table ${r.table} ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}${r.gateway ? ` via ${r.gateway}` : ''}`;
}
const neighKey = (n: NeighState) => `${n.dst} dev ${n.dev}`;
const fdbKey = (f: FdbState) => `${f.mac} dev ${f.dev}${f.dst ? ` dst ${f.dst}` : ''}${f.vlan !== undefined ? ` vlan ${f.vlan}` : ''}${f.master ? ` master ${f.master}` : ''}`;

/** Reads the outputs of STATE_READS (same order) and the sysctl values read. */
export function parseHostState(outputs: readonly string[], sysctlValues: Record<string, string>): HostState {
  const sysctls = Object.assign(record<string>(), sysctlValues);
  const [links, addrs, routes4, routes6, neigh, fdb, netns] = outputs.slice(0, 7).map(list) as [Json[], Json[], Json[], Json[], Json[], Json[], Json[]];
  const state: HostState = { links: record(), addresses: record(), routes: [], neighbours: [], fdb: [], namespaces: [], netnsDir: outputs[7]?.trim() === 'yes', sysctls };
  for (const l of links) {
    const name = str(l.ifname)!;
    const kind = str((l.linkinfo as Json | undefined)?.info_kind);
    state.links[name] = {
      mtu: Number(l.mtu), up: Array.isArray(l.flags) && l.flags.includes('UP'),
      ...(str(l.master) ? { master: str(l.master)! } : {}), ...(str(l.address) ? { address: str(l.address)! } : {}), ...(kind ? { kind } : {}),
    };
  }
  for (const a of addrs) {
    const name = str(a.ifname)!;
    const info = (a.addr_info as Json[] | undefined) ?? [];
    // Link-local addresses come and go with the link itself (and DAD): not a step's doing.
    state.addresses[name] = info.filter((i) => i.scope !== 'link').map((i) => `${str(i.local)}/${str(i.prefixlen)}`).sort();
  }
  for (const [family, rows] of [[4, routes4], [6, routes6]] as const) {
    for (const r of rows) {
      // Routes the kernel or router advertisements make follow addresses and links: never restored by hand.
      if (r.protocol === 'kernel' || r.protocol === 'ra') continue;
      state.routes.push({
        family, table: str(r.table) ?? 'main', dst: str(r.dst) ?? 'default',
        ...(str(r.dev) ? { dev: str(r.dev)! } : {}), ...(str(r.gateway) ? { gateway: str(r.gateway)! } : {}), ...(str(r.protocol) ? { protocol: str(r.protocol)! } : {}),
      });
    }
  }
  for (const n of neigh) {
    const states = (n.state as string[] | undefined) ?? [];
    // Only what someone set by hand: learned entries come and go with traffic.
    if (!states.includes('PERMANENT') && !states.includes('NOARP')) continue;
    state.neighbours.push({ dst: str(n.dst)!, dev: str(n.dev)!, ...(str(n.lladdr) ? { lladdr: str(n.lladdr)! } : {}) });
  }
  for (const f of fdb) {
    const flags = (f.flags as string[] | undefined) ?? [];
    if (str(f.state) !== 'permanent' && str(f.state) !== 'static' && !(f.state === undefined && !flags.includes('extern_learn'))) continue;
    // A bridge's own and a NIC's multicast entries come with the device: not a step's.
    if (f.state === 'permanent' && !f.dst && flags.includes('self') && !flags.includes('master')) continue;
    state.fdb.push({
      mac: str(f.mac)!, dev: str(f.ifname)!,
      ...(str(f.dst) ? { dst: str(f.dst)! } : {}), ...(typeof f.vlan === 'number' ? { vlan: f.vlan } : {}), ...(str(f.master) ? { master: str(f.master)! } : {}),
    });
  }
  state.namespaces = netns.map((n) => str(n.name)!).sort();
  return state;
}

/** Every comparable fact of a state, one line each: what `differences` and the tests compare. */
export function stateLines(state: HostState): string[] {
  const lines: string[] = [];
  for (const [name, l] of Object.entries(state.links)) lines.push(`link ${name}: mtu ${l.mtu} ${l.up ? 'up' : 'down'} master ${l.master ?? '-'} address ${l.address ?? '-'}`);
  for (const [name, a] of Object.entries(state.addresses)) for (const addr of a) lines.push(`address ${addr} dev ${name}`);
  for (const r of state.routes) lines.push(`route ${routeKey(r)}`);
  for (const n of state.neighbours) lines.push(`neighbour ${neighKey(n)} lladdr ${n.lladdr ?? '-'}`);
  for (const f of state.fdb) lines.push(`fdb ${fdbKey(f)}`);
  for (const n of state.namespaces) lines.push(`guest namespace ${n}`);
  if (state.netnsDir) lines.push('directory /run/netns');
  for (const [k, v] of Object.entries(state.sysctls)) lines.push(`sysctl ${k} = ${v}`);
  return lines.sort();
}

/** What differs: `+ line` is there now and was not, `- line` was there and is not. */
export function differences(before: HostState, now: HostState): string[] {
  const was = new Set(stateLines(before));
  const is = new Set(stateLines(now));
  return [...[...is].filter((l) => !was.has(l)).map((l) => `+ ${l}`), ...[...was].filter((l) => !is.has(l)).map((l) => `- ${l}`)];
}

const IPV4_FORWARDING = ['net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding'];
const ALL_KEY = /^net\.ipv([46])\.conf\.all\.([^./]+)$/;

/**
 * The sysctl reads that record what writing `keys` changes. Writing an `all` key copies it to
 * every device for some keys (forwarding, IPv6's disable_ipv6 and more; `net.ipv4.ip_forward` is
 * all.forwarding), so each device's own key is recorded too (`sysctl -r PATTERN TREE`), and
 * IPv4 forwarding also sets all.accept_redirects to its opposite (the kernel's inet_forward_change).
 */
export function sysctlReads(keys: readonly string[]): { keys: string[]; patterns: { tree: string; pattern: string }[] } {
  const extra: string[] = [];
  const patterns: { tree: string; pattern: string }[] = [];
  for (const key of keys) {
    const m = ALL_KEY.exec(IPV4_FORWARDING.includes(key) ? 'net.ipv4.conf.all.forwarding' : key);
    if (!m) continue;
    patterns.push({ tree: `net.ipv${m[1]}.conf`, pattern: `^net\\.ipv${m[1]}\\.conf\\.[^.]+\\.${m[2]}$` });
    if (m[1] === '4' && m[2] === 'forwarding') extra.push(...IPV4_FORWARDING, 'net.ipv4.conf.all.accept_redirects');
  }
  const unique = <T>(xs: T[], key: (x: T) => string) => [...new Map(xs.map((x) => [key(x), x])).values()];
  return { keys: unique([...keys, ...extra], (k) => k), patterns: unique(patterns, (p) => p.pattern) };
}

/** Whether writing keys `a` and writing keys `b` change a key in common (themselves, or what they change: `sysctlReads`). */
export function sysctlWritesMeet(a: readonly string[], b: readonly string[]): boolean {
  const [ra, rb] = [sysctlReads(a), sysctlReads(b)];
  const covers = (r: typeof ra, key: string) => r.keys.includes(key) || r.patterns.some((p) => new RegExp(p.pattern).test(key));
  return ra.keys.some((k) => covers(rb, k)) || rb.keys.some((k) => covers(ra, k)) || ra.patterns.some((p) => rb.patterns.some((q) => q.pattern === p.pattern));
}

/**
 * `state` with only the sysctl values a read for `keys` gives (`sysctlReads`: the keys, what writing
 * them changes, every device's key of an `all` key): a lab's before-state out of a wider read.
 */
export function withSysctlsOf(state: HostState, keys: readonly string[]): HostState {
  const reads = sysctlReads(keys);
  const patterns = reads.patterns.map((p) => new RegExp(p.pattern));
  const sysctls: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(state.sysctls)) {
    if (reads.keys.includes(key) || patterns.some((p) => p.test(key))) sysctls[key] = value;
  }
  return { ...state, sysctls };
}

/** Restore order: forwarding first, then other `all` keys (both overwrite devices' keys), then the rest. */
const sysctlRank = (key: string) => (IPV4_FORWARDING.includes(key) || key === 'net.ipv6.conf.all.forwarding' ? 0 : ALL_KEY.test(key) ? 1 : 2);

/**
 * `before` with every device and guest namespace `owned` names made (and /run/netns with them), as
 * a run whose steps all succeeded leaves a host: what restorePlan needs of the state now when no
 * sysctl was recorded (pure). Wrong only when a name is gone already: the restore says so.
 */
export function stateWithMade(before: HostState, owned: OwnedNames): HostState {
  const links = Object.assign(record<LinkState>(), before.links);
  for (const dev of owned.interfaces) if (!own(links, dev)) links[dev] = { mtu: 0, up: false };
  const namespaces = [...new Set([...before.namespaces, ...owned.namespaces])].sort();
  return { ...before, links, namespaces, netnsDir: before.netnsDir || owned.namespaces.length > 0 };
}

/** What a run's steps name as theirs on a host (lab/node-changes.ts): teardown deletes only these. */
export interface OwnedNames {
  interfaces: readonly string[];
  namespaces: readonly string[];
  /**
   * sysctl key -> the values the steps write to it (lab/node-changes.ts). A recorded key that holds
   * none of them (nor its before-value) was set since by someone else: not restored. Left out (a
   * marker from before it was kept): every recorded key is restored.
   */
  sysctls?: Readonly<Record<string, readonly string[]>>;
}

export interface RestorePlan {
  /** `ip netns del` each: guest namespaces the steps made; removes whatever they built inside. */
  namespaces: string[];
  /** ip commands (words after `ip`): the run's devices deleted first, then what changed on devices that were there. */
  ip: string[][];
  /** bridge commands (words after `bridge`). */
  bridge: string[][];
  /** `sysctl -w` arguments. */
  sysctls: string[];
  /** /run/netns was made by the run: unmount and remove it once empty. */
  removeNetnsDir: boolean;
  /** Changed on the host, but not by the steps (see `notOurs`): someone else's, left alone and reported. */
  notOurs: string[];
}

/**
 * A state split in two: the run's part (what is on the devices and in the guest namespaces its
 * steps create, its sysctls, /run/netns) and everyone else's (what is on devices and namespaces
 * that were there before, and routes with no device). The host scope lets the steps change
 * nothing of the second but sysctls, so a difference there is another tool's: never undone.
 * Devices and namespaces new since `before` that the steps do not name are left out of both.
 */
function split(before: HostState, state: HostState, owned: OwnedNames, part: 'ours' | 'theirs', theirKeys: ReadonlySet<string> = new Set()): HostState {
  const mine = (dev: string) => owned.interfaces.includes(dev) && !own(before.links, dev);
  const keep = part === 'ours' ? (dev: string | undefined) => dev !== undefined && mine(dev) : (dev: string | undefined) => dev === undefined || own(before.links, dev) !== undefined;
  const links = record<LinkState>();
  const addresses = record<string[]>();
  for (const [n, l] of Object.entries(state.links)) if (keep(n)) links[n] = l;
  for (const [n, a] of Object.entries(state.addresses)) if (keep(n)) addresses[n] = a;
  const namespaces = state.namespaces.filter((n) => (part === 'ours' ? owned.namespaces.includes(n) && !before.namespaces.includes(n) : before.namespaces.includes(n)));
  return {
    links, addresses, namespaces,
    routes: state.routes.filter((r) => keep(r.dev)), neighbours: state.neighbours.filter((n) => keep(n.dev)), fdb: state.fdb.filter((x) => keep(x.dev)),
    netnsDir: part === 'ours' && state.netnsDir, sysctls: part === 'ours' ? withoutKeys(state.sysctls, theirKeys) : record(),
  };
}

function withoutKeys(sysctls: Record<string, string>, keys: ReadonlySet<string>): Record<string, string> {
  const kept = record<string>();
  for (const [k, v] of Object.entries(sysctls)) if (!keys.has(k)) kept[k] = v;
  return kept;
}

// sysctl prints a vector's values tab-separated; a step may write them space-separated.
const normal = (v: string) => v.trim().split(/\s+/).join(' ');

/** The keys whose write also sets `key`: a device's key follows its `all` key, and IPv4's forwarding keys (and all.accept_redirects) follow each other. */
function sourcesOf(key: string): string[] {
  if (key === 'net.ipv4.conf.all.accept_redirects') return IPV4_FORWARDING;
  if (IPV4_FORWARDING.includes(key)) return IPV4_FORWARDING.filter((k) => k !== key);
  const m = /^net\.ipv([46])\.conf\.([^.]+)\.([^./]+)$/.exec(key);
  if (!m || m[2] === 'all') return [];
  return [`net.ipv${m[1]}.conf.all.${m[3]}`, ...(m[1] === '4' && m[3] === 'forwarding' ? ['net.ipv4.ip_forward'] : [])];
}

/**
 * Recorded sysctls changed since `before` to a value the steps do not write (directly, or through the
 * `all` key that sets a device's key to its value): the host owner's, set after the run's write. Restoring them would undo
 * the owner's choice; they are left and named not ours. Keys `owned.sysctls` does not name are the run's.
 */
export function theirSysctls(before: HostState, now: HostState, owned: OwnedNames): Map<string, string> {
  const wrote = owned.sysctls;
  const theirs = new Map<string, string>();
  if (!wrote) return theirs;
  const changed = (k: string) => {
    const v = own(now.sysctls, k);
    return v !== undefined && v !== own(before.sysctls, k) ? v : undefined;
  };
  const foreignValue = (k: string) => {
    const values = own(wrote, k);
    const v = changed(k);
    return values !== undefined && v !== undefined && !values.map(normal).includes(normal(v));
  };
  // A key the steps did not write changed through one they wrote: it holds what was written there
  // (all.accept_redirects holds forwarding's opposite: it is theirs only when forwarding is).
  const derivedForeign = (k: string, v: string) => {
    const sources = sourcesOf(k).filter((s) => own(wrote, s) !== undefined);
    if (k === 'net.ipv4.conf.all.accept_redirects') return sources.some(foreignValue);
    return sources.length > 0 && !sources.flatMap((s) => own(wrote, s)!).map(normal).includes(normal(v));
  };
  for (const k of Object.keys(before.sysctls)) {
    const v = changed(k);
    if (v !== undefined && (own(wrote, k) !== undefined ? foreignValue(k) : derivedForeign(k, v))) theirs.set(k, v);
  }
  return theirs;
}

/** Devices and guest namespaces that appeared since `before` and that the steps do not name. */
function foreign(before: HostState, now: HostState, owned: OwnedNames): { links: string[]; namespaces: string[] } {
  return {
    links: Object.keys(now.links).filter((n) => !own(before.links, n) && !owned.interfaces.includes(n)),
    namespaces: now.namespaces.filter((n) => !before.namespaces.includes(n) && !owned.namespaces.includes(n)),
  };
}

/** What changed since `before` but is not the run's (another tool's device, its route on the NIC): reported, never undone. */
export function notOurs(before: HostState, now: HostState, owned: OwnedNames): string[] {
  const f = foreign(before, now, owned);
  const changed = differences(split(before, before, owned, 'theirs'), split(before, now, owned, 'theirs')).map((d) => `${d.startsWith('+') ? 'added' : 'removed'} ${d.slice(2)}`);
  const sysctls = [...theirSysctls(before, now, owned)].map(([k, v]) => `sysctl ${k} = ${v} (set since; the steps wrote ${own(owned.sysctls ?? record<readonly string[]>(), k)?.join(' or ') ?? `its \`all\` key`})`);
  return [...f.links.map((n) => `device ${n}`), ...f.namespaces.map((n) => `guest namespace ${n}`), ...changed, ...sysctls];
}

/** What the run changed that is still different from `before` (others' changes are not counted). */
export function leftovers(before: HostState, now: HostState, owned: OwnedNames): string[] {
  const theirKeys = new Set(theirSysctls(before, now, owned).keys());
  const ours = split(before, now, owned, 'ours', theirKeys);
  // /run/netns stays for another tool's namespace: that is theirs too, not a leftover.
  if (ours.netnsDir && !before.netnsDir && ours.namespaces.length < now.namespaces.length) ours.netnsDir = false;
  return differences(split(before, before, owned, 'ours', theirKeys), ours);
}

/**
 * How to take the run's part of a host from `now` back to `before`: deletes only the devices and
 * namespaces the steps name (`owned`) and puts back the sysctls they wrote; anything else that
 * changed is listed as not ours (another tool's bridge, its route on the NIC: never touched).
 */
export function restorePlan(beforeAll: HostState, nowAll: HostState, owned: OwnedNames): RestorePlan {
  // Only the run's part is compared: what others changed on the devices that were there stays as they left it.
  const theirs = theirSysctls(beforeAll, nowAll, owned);
  const before = split(beforeAll, beforeAll, owned, 'ours', new Set(theirs.keys()));
  const now = split(beforeAll, nowAll, owned, 'ours', new Set(theirs.keys()));
  const kept = (dev: string | undefined) => dev === undefined || own(before.links, dev) !== undefined;
  const ip: string[][] = [];
  for (const name of Object.keys(now.links)) if (!own(before.links, name)) ip.push(['link', 'del', 'dev', name]);
  for (const [name, was] of Object.entries(before.links)) {
    const is = own(now.links, name);
    if (!is) continue;
    if (is.master !== was.master) ip.push(was.master ? ['link', 'set', 'dev', name, 'master', was.master] : ['link', 'set', 'dev', name, 'nomaster']);
    if (is.mtu !== was.mtu) ip.push(['link', 'set', 'dev', name, 'mtu', String(was.mtu)]);
    if (was.address && is.address !== was.address && was.kind !== undefined) ip.push(['link', 'set', 'dev', name, 'address', was.address]);
    if (is.up !== was.up) ip.push(['link', 'set', 'dev', name, was.up ? 'up' : 'down']);
  }
  for (const [name, was] of Object.entries(before.addresses)) {
    const is = own(now.addresses, name) ?? [];
    for (const a of is) if (!was.includes(a)) ip.push(['addr', 'del', a, 'dev', name]);
    for (const a of was) if (!is.includes(a) && !a.startsWith('fe80:')) ip.push(['addr', 'add', a, 'dev', name]);
  }
  const routesBefore = new Set(before.routes.map(routeKey));
  const routesNow = new Set(now.routes.map(routeKey));
  const route = (r: RouteState, verb: string) => [
    ...(r.family === 6 ? ['-6'] : []), 'route', verb, r.dst, ...(r.gateway ? ['via', r.gateway] : []), ...(r.dev ? ['dev', r.dev] : []), 'table', r.table,
  ];
  for (const r of now.routes) if (!routesBefore.has(routeKey(r)) && kept(r.dev)) ip.push(route(r, 'del'));
  // Kernel routes come back with their addresses; only routes someone added are added again.
  for (const r of before.routes) if (!routesNow.has(routeKey(r)) && r.protocol !== 'kernel' && r.table !== 'local') ip.push(route(r, 'add'));
  const neighBefore = new Set(before.neighbours.map(neighKey));
  const neighNow = new Set(now.neighbours.map(neighKey));
  for (const n of now.neighbours) if (!neighBefore.has(neighKey(n)) && kept(n.dev)) ip.push(['neigh', 'del', n.dst, 'dev', n.dev]);
  for (const n of before.neighbours) if (!neighNow.has(neighKey(n)) && n.lladdr) ip.push(['neigh', 'replace', n.dst, 'lladdr', n.lladdr, 'dev', n.dev, 'nud', 'permanent']);
  const fdbBefore = new Set(before.fdb.map(fdbKey));
  const fdbNow = new Set(now.fdb.map(fdbKey));
  const fdbLine = (x: FdbState, verb: string) => ['fdb', verb, x.mac, 'dev', x.dev, ...(x.dst ? ['dst', x.dst] : []), ...(x.vlan !== undefined ? ['vlan', String(x.vlan)] : []), x.master ? 'master' : 'self'];
  const bridge: string[][] = [];
  for (const x of now.fdb) if (!fdbBefore.has(fdbKey(x)) && kept(x.dev)) bridge.push(fdbLine(x, 'del'));
  for (const x of before.fdb) if (!fdbNow.has(fdbKey(x))) bridge.push(fdbLine(x, 'append'));
  const changed = Object.entries(before.sysctls).filter(([k, v]) => own(now.sysctls, k) !== v);
  // Writing an `all` key back overwrites every device's own key (and forwarding all.accept_redirects):
  // then every recorded key that still exists is written after it, changed or not.
  // An owner's value (theirs) that such a write overwrites is written back as the owner left it.
  const writes = changed.some(([k]) => sysctlRank(k) < 2) ? [...Object.entries(before.sysctls).filter(([k]) => own(now.sysctls, k) !== undefined), ...theirs] : changed;
  const sysctls = writes.sort(([a], [b]) => sysctlRank(a) - sysctlRank(b)).map(([k, v]) => `${k}=${v}`);
  return {
    namespaces: now.namespaces.filter((n) => !before.namespaces.includes(n)),
    ip, bridge, sysctls,
    removeNetnsDir: now.netnsDir && !before.netnsDir,
    notOurs: notOurs(beforeAll, nowAll, owned),
  };
}

/** What runs still live on a host claim there: the names their steps create, the sysctl keys they recorded. */
export interface LiveClaims {
  interfaces: ReadonlySet<string>;
  namespaces: ReadonlySet<string>;
  sysctls: ReadonlySet<string>;
}

/** The claims of the live markers on a host, merged. */
export function liveClaims(markers: readonly { before: HostState; owned: OwnedNames }[]): LiveClaims {
  return {
    interfaces: new Set(markers.flatMap((m) => m.owned.interfaces)),
    namespaces: new Set(markers.flatMap((m) => m.owned.namespaces)),
    sysctls: new Set(markers.flatMap((m) => Object.keys(m.before.sysctls))),
  };
}

/**
 * A dead run's before-state and names without what a live run claims (`clean` restoring it must not
 * delete a live run's same-named device, nor write a sysctl the live run will put back), and what was
 * taken out, one line each.
 */
export function withoutLive(before: HostState, owned: OwnedNames, live: LiveClaims): { before: HostState; owned: OwnedNames; skipped: string[] } {
  const sysctls = record<string>();
  const skipped: string[] = [];
  for (const [k, v] of Object.entries(before.sysctls)) {
    if (live.sysctls.has(k)) skipped.push(`sysctl ${k}`);
    else sysctls[k] = v;
  }
  skipped.unshift(...owned.interfaces.filter((n) => live.interfaces.has(n)).map((n) => `device ${n}`), ...owned.namespaces.filter((n) => live.namespaces.has(n)).map((n) => `guest namespace ${n}`));
  return {
    before: { ...before, sysctls },
    owned: { ...owned, interfaces: owned.interfaces.filter((n) => !live.interfaces.has(n)), namespaces: owned.namespaces.filter((n) => !live.namespaces.has(n)) },
    skipped,
  };
}
