// The scenario's steps are the model answer: what each tutorial command leaves behind on its node
// (links, addresses, FDB and neighbour entries), learned by running the steps one command at a
// time on a lab of their own. A learner's lab that lacks one of those effects points at the
// command that makes it. Pure: the readings come from elsewhere.
import type { Entry } from '../checks/state-tables.ts';
import type { NodeState } from '../commands/step.ts';

type Table = 'link' | 'addr' | 'fdb' | 'neigh';

/** One thing a command leaves behind: an entry that exists, or one field of it. */
export interface Fact {
  node: string;
  /** '' for the node itself, else the guest namespace. */
  place: string;
  table: Table;
  /** The entry, in words (`link vxlan0`, `fdb 00:00:00:00:00:00 dev vxlan0 dst 239.1.1.1`). */
  id: string;
  field?: string;
  value?: string;
}

export interface CommandEffects {
  node: string;
  command: string;
  /** Set when vxlab adds the command itself (a MAC pin), not the tutorial. */
  addedBy?: string;
  facts: Fact[];
}

export interface Finding {
  node: string;
  command: string;
  addedBy?: string;
  problems: string[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Each table's entries by identity, with the fields a command sets, in a form comparable across labs. */
type Keyed = Map<string, Map<string, string>>;

function macNames(tables: Map<string, Entry[]> | undefined): Map<string, string> {
  // A device's MAC is random in every lab unless pinned: name it after its device instead.
  const names = new Map<string, string>();
  for (const link of tables?.get('link') ?? []) {
    if (typeof link.address === 'string' && typeof link.dev === 'string') names.set(link.address.toLowerCase(), `(MAC of ${link.dev})`);
  }
  return names;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function keyTable(table: Table, entries: Entry[], macs: Map<string, string>, literalMacs: Set<string>): Keyed {
  const keyed: Keyed = new Map();
  // A MAC neither pinned, nor a device's own, nor typed in the steps came from traffic: not a command's doing.
  const mac = (v: unknown): string | undefined => {
    const s = String(v ?? '').toLowerCase();
    if (!MAC.test(s)) return s || undefined;
    return macs.get(s) ?? (literalMacs.has(s) || /^(00:00:00:00:00:00|ff:ff:ff:ff:ff:ff|33:33:|01:00:5e:)/.test(s) ? s : undefined);
  };
  for (const e of entries) {
    let id: string | undefined;
    let fields: Record<string, unknown> = {};
    if (table === 'link') {
      id = `link ${show(e.dev)}`;
      const flags = Array.isArray(e.flags) ? e.flags : [];
      fields = { up: flags.includes('UP') ? 'up' : 'down', mtu: e.mtu, master: e.master, kind: e.kind, vxlan: e.vxlan };
    } else if (table === 'addr') {
      if (e.address === undefined || e.scope === 'link') continue; // link-local addresses derive from the random MAC
      id = `address ${show(e.address)} on ${show(e.dev)}`;
    } else if (table === 'fdb') {
      const m = mac(e.mac);
      const state = show(e.state ?? '');
      if (!m || !/permanent|static|noarp/.test(state)) continue; // learned entries come from traffic
      id = `fdb entry ${m} dev ${show(e.dev)}${e.dst !== undefined ? ` dst ${show(e.dst)}` : ''}${e.master !== undefined ? ` master ${show(e.master)}` : ''}`;
    } else {
      if (!/PERMANENT|NOARP/.test(show(e.state ?? ''))) continue; // resolved by ARP, not typed
      id = `neighbour ${show(e.dst)} dev ${show(e.dev)}`;
      fields = { lladdr: mac(e.lladdr) };
    }
    keyed.set(id, new Map(Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => [k, show(v)])));
  }
  return keyed;
}

const TABLES: Table[] = ['link', 'addr', 'fdb', 'neigh'];

/** A node's reading keyed per place and table. */
export function keyState(state: NodeState, literalMacs: Set<string>): Map<string, Map<Table, Keyed>> {
  const keyed = new Map<string, Map<Table, Keyed>>();
  for (const [place, tables] of state) {
    const macs = macNames(tables as Map<string, Entry[]>);
    keyed.set(place, new Map(TABLES.map((t) => [t, keyTable(t, tables.get(t) ?? [], macs, literalMacs)])));
  }
  return keyed;
}

/** The facts a command made: entries that appeared, and fields that changed, between two readings. */
export function factsBetween(node: string, before: ReturnType<typeof keyState>, after: ReturnType<typeof keyState>): Fact[] {
  const facts: Fact[] = [];
  for (const [place, tables] of after) {
    for (const [table, entries] of tables) {
      const was = before.get(place)?.get(table);
      for (const [id, fields] of entries) {
        const old = was?.get(id);
        if (!old) facts.push({ node, place, table, id });
        for (const [field, value] of fields) if (old?.get(field) !== value) facts.push({ node, place, table, id, field, value });
      }
    }
  }
  return facts;
}

/** Only what still holds once every step has run is the model answer (a link added down and then set up is up). */
export function surviving(facts: Fact[], final: ReturnType<typeof keyState>): Fact[] {
  return facts.filter((f) => {
    const fields = final.get(f.place)?.get(f.table)?.get(f.id);
    return fields !== undefined && (f.field === undefined || fields.get(f.field) === f.value);
  });
}

const where = (f: Fact) => (f.place ? ` in netns ${f.place}` : '');

/** Which commands' effects the learner's lab lacks, and what exactly is missing or different. */
export function diagnose(model: CommandEffects[], observed: ReadonlyMap<string, ReturnType<typeof keyState>>): Finding[] {
  const findings: Finding[] = [];
  for (const effects of model) {
    const problems: string[] = [];
    for (const f of effects.facts) {
      const state = observed.get(f.node);
      const place = state?.get(f.place);
      if (f.place && !place) {
        problems.push(`no netns ${f.place}`);
        continue;
      }
      const entry = place?.get(f.table)?.get(f.id);
      if (f.field === undefined) {
        if (!entry) problems.push(`no ${f.id}${where(f)}`);
      } else if (entry && entry.get(f.field) !== f.value) {
        problems.push(
          f.field === 'up'
            ? `${f.id}${where(f)} is ${entry.get(f.field) ?? 'down'}, expected ${f.value}`
            : `${f.id}${where(f)} has ${f.field} ${entry.get(f.field) ?? '(none)'}, expected ${f.value}`,
        );
      }
    }
    if (problems.length > 0) findings.push({ node: effects.node, command: effects.command, ...(effects.addedBy ? { addedBy: effects.addedBy } : {}), problems: [...new Set(problems)] });
  }
  return findings;
}

/** One line per finding, as a failed check's diagnostics show it. */
export function findingLines(findings: Finding[]): string[] {
  return findings.map((f) => `${f.node}: \`${f.command}\`${f.addedBy ? ` (vxlab adds it: ${f.addedBy})` : ''} looks missing or wrong: ${f.problems.join('; ')}`);
}
