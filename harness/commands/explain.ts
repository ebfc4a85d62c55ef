// `npm run lab -- explain NAME`: a scenario as a learner reads it. Node by node, the tutorial's
// commands exactly as typed, at the tutorial's prompt; then each check in plain words: what it
// asserts (from the check itself) and why the tutorial expects it (the check's own words and the
// scenario's `explain:`). Pure formatting of the resolved scenario, but for loading.
import type { Action, Check, Scenario, StateProbe } from '../lab/model.ts';
import type { Count, PingSpec, StateTable } from '../scenario/schema.ts';
import { loadScenario } from '../scenario/resolve.ts';
import { replyWaitSeconds } from '../checks/ping.ts';

/** The command a learner types to see a table, as the tutorials print it. */
const TABLE_VIEW: Record<StateTable, { command: string; what: string }> = {
  fdb: { command: 'bridge fdb show', what: 'forwarding database (FDB)' },
  neigh: { command: 'ip neigh show', what: 'neighbour (ARP) table' },
  link: { command: 'ip -d link show', what: 'links and their VXLAN details' },
  route: { command: 'ip route show', what: 'routing table' },
  bridgeLink: { command: 'bridge link show', what: 'bridge ports' },
  addr: { command: 'ip addr show', what: 'addresses' },
};

/** Words that wrap at `width`, each line starting with `indent`. */
function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  for (const paragraph of text.trim().split(/\n\s*\n/)) {
    let line = '';
    for (const word of paragraph.split(/\s+/)) {
      if (line && indent.length + line.length + 1 + word.length > width) {
        lines.push(indent + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(indent + line);
  }
  return lines;
}

/** A field value as written in a scenario: `{ anyOf: [a, b] }` reads "a or b", a list "a and b". */
function value(v: unknown): string {
  if (Array.isArray(v)) return v.map(value).join(' and ');
  if (v !== null && typeof v === 'object' && 'anyOf' in v && Array.isArray(v.anyOf)) return `one of ${v.anyOf.map(value).join(', ')}`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k} ${value(x)}`).join(', ')} }`;
  return String(v);
}

const fields = (entry: Record<string, unknown>) => Object.entries(entry).map(([k, v]) => (k === 'vxlan' && v && typeof v === 'object' ? `vxlan ${Object.entries(v).map(([a, b]) => `${a} ${value(b)}`).join(', ')}` : `${k} ${value(v)}`)).join(', ');

function countWords(count: Count): string {
  if (typeof count === 'number') return count === 0 ? 'no packet' : `exactly ${count} packet${count === 1 ? '' : 's'}`;
  if (count.min !== undefined && count.max !== undefined) return `${count.min} to ${count.max} packets`;
  if (count.min !== undefined) return `at least ${count.min} packet${count.min === 1 ? '' : 's'}`;
  return `at most ${count.max ?? 0} packet${count.max === 1 ? '' : 's'}`;
}

function where(node: string, netns: string | undefined): string {
  return netns ? `${node}'s namespace ${netns}` : node;
}

/** The ping command a check runs, as a learner would type it. */
function pingCommand(spec: PingSpec): string {
  const words = ['ping', '-c', String(spec.count)];
  if (spec.size !== undefined) words.push('-s', String(spec.size));
  if (spec.dontFragment) words.push('-M', 'do');
  words.push(spec.to);
  return spec.netns ? `ip netns exec ${spec.netns} ${words.join(' ')}` : words.join(' ');
}

function pingWords(spec: PingSpec): string {
  const size = spec.size !== undefined ? ` with ${spec.size}-byte payloads${spec.dontFragment ? ', never fragmented' : ''}` : '';
  // As checks/ping.ts decides: every reply within its wait, or none at all.
  const wait = replyWaitSeconds(spec);
  const deadline = wait < 1 ? `${Math.round(wait * 1000)} ms` : `${wait} s`;
  const outcome = spec.expect === 'unreachable' ? `gets no reply within ${deadline}` : `gets ${spec.count === 1 ? 'its reply' : `all ${spec.count} replies`} within ${deadline}`;
  return `\`${pingCommand(spec)}\` on ${spec.from}${size} ${outcome}`;
}

function actionWords(action: Action): string {
  if (action.kind === 'ping') return `${action.spec.from} runs \`${pingCommand(action.spec)}\``;
  return `${action.node} runs ${action.commands.map((c) => `\`${c.text}\``).join(', ')}`;
}

function stateWords(probe: StateProbe): string[] {
  const view = TABLE_VIEW[probe.table];
  const command = probe.netns ? `ip netns exec ${probe.netns} ${view.command}` : view.command;
  const dev = probe.expect.dev ? ` dev ${probe.expect.dev}` : '';
  const lines = [`reads the ${view.what} on ${where(probe.node, probe.netns)} (\`${command}${dev}\`):`];
  for (const e of probe.expect.contains ?? []) lines.push(`  it holds an entry with ${fields(e)}`);
  for (const e of probe.expect.lacks ?? []) lines.push(`  it holds no entry with ${fields(e)}`);
  if (probe.expect.only) lines.push(`  and every entry is one of: ${probe.expect.only.map(fields).join('; ')}`);
  return lines;
}

function checkWords(check: Check): string[] {
  switch (check.kind) {
    case 'ping':
      return [`${pingWords(check.spec)}.`];
    case 'pings':
      return [`all at once, for each of ${check.specs.length} addresses (${check.specs.map((p) => p.to).join(', ')}):`, `  ${pingWords(check.specs[0]!)}.`];
    case 'state':
      return stateWords(check.spec);
    case 'capture': {
      const s = check.spec;
      const lines = [`captures on ${s.node}'s ${s.interface} (\`tcpdump -i ${s.interface}${s.filter ? ` '${s.filter}'` : ''}\`) while ${check.during.map(actionWords).join(', then ')}; it sees:`];
      for (const e of s.expect) lines.push(`  ${countWords(e.count)}: ${e.that}`);
      return lines;
    }
  }
}

/** The whole explanation of a scenario, as text. */
export function explainScenario(scenario: Scenario): string {
  const out: string[] = [];
  out.push(`${scenario.name}: ${scenario.title}`);
  out.push(`Tutorial: ${scenario.tutorial}`);
  out.push(`Lab: ${scenario.lab.name}, ${scenario.lab.title}`);
  out.push('');
  out.push(...scenario.lab.diagram.trimEnd().split('\n').map((l) => `  ${l}`));
  out.push('');
  out.push('What the tutorial shows:');
  out.push(...wrap(scenario.explain, '  '));
  out.push('');
  out.push('The commands, node by node, exactly as the tutorial types them:');
  for (const node of scenario.lab.nodes) {
    const commands = scenario.steps.filter((s) => s.node === node.name).flatMap((s) => s.commands);
    out.push('');
    out.push(`  ${node.name} (${node.nic.name} ${node.nic.address}/${node.nic.prefixLength})`);
    if (commands.length === 0) out.push('    nothing: this node only takes part in the checks');
    for (const c of commands) out.push(`    root@${node.name}:~# ${c.text}`);
  }
  out.push('');
  out.push(`What vxlab then checks (${scenario.checks.length}), and why:`);
  for (const check of scenario.checks) {
    out.push('');
    out.push(`  ${check.index + 1}. ${check.name}`);
    out.push(...checkWords(check).map((l) => `     ${l}`));
  }
  return `${out.join('\n')}\n`;
}

/** The CLI verb. */
export async function explain(name: string): Promise<string> {
  return explainScenario(await loadScenario(name));
}
