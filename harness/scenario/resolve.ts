// Loads scenario and lab files: raw YAML -> validated document -> resolved, typed model.
// Every problem is collected with its position; an invalid file yields a ValidationError.
import { readdir } from 'node:fs/promises';
import { basename, extname, join, resolve as resolvePath } from 'node:path';
import type * as z from 'zod';
import { ValidationError, type ValidationIssue } from '../util/errors.ts';
import { readRegularFile, UnreadableFileError } from '../util/read-regular-file.ts';
import { DEFAULT_STEP_TIMEOUT_MS, type Action, type Check, type Command, type Expectation, type Lab, type LabNode, type Scenario, type StateProbe, type Step, type TableExpectation } from '../lab/model.ts';
import { broadcastAddress, inSubnet, ipToNumber, numberToIp, parseCidr, reservedAddressRole } from '../lab/ipv4.ts';
import { vxlanPortsOf } from '../lab/topology.ts';
import { CommandSyntaxError, tokenize } from '../policy/command-line.ts';
import { checkArgv, checkArgvOnHost, commandFacts, filterProblem, scopeAfter, startScope, type HostScope } from '../policy/policy.ts';
import { checkCommands } from '../checks/check-commands.ts';
import { nodeChanges, plannedOf } from '../lab/node-changes.ts';
import {
  labFileSchema, nodeName as nodeNameSchema, scenarioFileSchema, STATE_TABLES,
  ipv4, type CheckSpec, type Count, type LabFile, type PacketMatch, type PingSpec, type ScenarioFile, type StateTable,
} from './schema.ts';
import { expandTemplate, hasTemplate, parseTemplate, TemplateError, type Template, type TemplateNode } from './template.ts';
import { parseTextEntry, TextEntryError } from './text-entries.ts';
import { formatPath, parseYaml, type PathSegment, type YamlSource } from './yaml-source.ts';
import { zodIssuesToValidation } from './zod-issues.ts';
import { PROJECT_ROOT } from './project-root.ts';

export { PROJECT_ROOT };
export const LABS_DIR = join(PROJECT_ROOT, 'labs');
export const SCENARIOS_DIR = join(PROJECT_ROOT, 'scenarios');

/** Shows paths relative to the working directory when they are inside it. */
function displayPath(file: string): string {
  const cwd = process.cwd();
  return file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

async function readSource(file: string): Promise<YamlSource> {
  let text: string;
  try {
    text = await readRegularFile(file);
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    throw new ValidationError([{ file: displayPath(file), path: '', message: error.message }]);
  }
  const parsed = parseYaml(displayPath(file), text);
  if (Array.isArray(parsed)) throw new ValidationError(parsed);
  return parsed;
}

const byPosition = (a: ValidationIssue, b: ValidationIssue) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);

/** Validates against the schema; `alsoCheck` adds problems found in the raw document, so one run reports them all. */
function validate<S extends z.ZodType>(schema: S, source: YamlSource, alsoCheck?: (issues: ValidationIssue[]) => void): z.output<S> {
  if (source.value === null || typeof source.value !== 'object' || Array.isArray(source.value)) {
    throw new ValidationError([{ file: source.file, line: 1, col: 1, path: '', message: 'expected a YAML mapping at the top level' }]);
  }
  const result = schema.safeParse(source.value);
  if (result.success) return result.data;
  const issues = zodIssuesToValidation(schema, result.error, source);
  alsoCheck?.(issues);
  throw new ValidationError(issues.sort(byPosition));
}

/** Finds command problems in a document that failed the schema, wherever commands can be read. */
function checkRawCommands(source: YamlSource, issues: ValidationIssue[]): void {
  const doc = source.value as { steps?: unknown };
  if (!Array.isArray(doc.steps)) return;
  doc.steps.forEach((step: unknown, i) => {
    const run = (step as { run?: unknown } | null)?.run;
    if (!Array.isArray(run)) return;
    run.forEach((text: unknown, j) => {
      if (typeof text === 'string' && !hasTemplate(text)) parseCommand(source, ['steps', i, 'run', j], text, issues);
    });
  });
}

// ---------------------------------------------------------------- labs

export async function loadLab(name: string, options: { labsDir?: string } = {}): Promise<Lab> {
  const file = join(options.labsDir ?? LABS_DIR, `${name}.yaml`);
  const source = await readSource(file);
  return resolveLab(name, source, validate(labFileSchema, source));
}

/** The nodes a lab's `generate:` makes, in order, with their raw positions for errors. */
function generatedNodes(source: YamlSource, doc: LabFile, issues: ValidationIssue[]): { name: string; nic: { name: string; address: string; mtu: number }; at: PathSegment[] }[] {
  const g = doc.generate;
  if (!g) return [];
  let name: ReturnType<typeof parseTemplate>;
  try {
    name = parseTemplate(g.name, ['node']);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    issues.push({ file: source.file, ...source.locateInString(['generate', 'name'], error.index), path: 'generate.name', message: error.message });
    return [];
  }
  if (g.count > 1 && !name.variables.has('node')) {
    issues.push(source.issue(['generate', 'name'], `expected a pattern with {{ node.index }} in it, so that ${g.count} nodes get distinct names; got "${g.name}"`));
    return [];
  }
  const first = parseCidr(g.nic.firstAddress);
  const subnet = parseCidr(doc.underlay.subnet);
  const lastHost = ipToNumber(broadcastAddress(subnet.address, subnet.prefixLength)) - (subnet.prefixLength > 30 ? 0 : 1);
  const last = ipToNumber(first.address) + g.count - 1;
  if (last > lastHost) {
    issues.push(source.issue(['generate', 'nic', 'firstAddress'], `expected room for ${g.count} consecutive addresses from ${first.address} in the underlay subnet ${doc.underlay.subnet}, whose last host is ${numberToIp(lastHost)}; got ${g.count - (last - lastHost)} at most`));
    return [];
  }
  return Array.from({ length: g.count }, (_, index) => {
    const address = numberToIp(ipToNumber(first.address) + index);
    const nodeValue = { name: '', index, address, nic: g.nic.name, mtu: g.nic.mtu };
    return {
      name: expandTemplate(name, { node: nodeValue }).text,
      nic: { name: g.nic.name, address: `${address}/${first.prefixLength}`, mtu: g.nic.mtu },
      at: ['generate', 'name'],
    };
  });
}

/** Validates and resolves lab text as if it were read from `file` (which need not exist). */
export function parseLabText(name: string, file: string, text: string): Lab {
  const parsed = parseYaml(displayPath(file), text);
  if (Array.isArray(parsed)) throw new ValidationError(parsed);
  return resolveLab(name, parsed, validate(labFileSchema, parsed));
}

function resolveLab(name: string, source: YamlSource, doc: LabFile): Lab {
  const issues: ValidationIssue[] = [];
  const subnet = parseCidr(doc.underlay.subnet);
  const seen = new Map<string, string>();
  const entries: { name: string; nic: { name: string; address: string; mtu: number; mac?: string }; macs?: Record<string, string>; at: PathSegment[]; nameAt: PathSegment[] }[] = [
    ...generatedNodes(source, doc, issues).map((g) => ({ ...g, nameAt: g.at, at: ['generate', 'nic', 'firstAddress'] as PathSegment[] })),
    ...Object.entries(doc.nodes ?? {}).map(([nodeName, node]) => ({ name: nodeName, nic: node.nic, ...(node.macs ? { macs: node.macs } : {}), at: ['nodes', nodeName, 'nic', 'address'] as PathSegment[], nameAt: ['nodes', nodeName] as PathSegment[] })),
  ];
  if (entries.length === 0 && issues.length === 0) issues.push(source.issue(doc.nodes ? ['nodes'] : [], 'expected at least one node, in nodes: or from generate:'));
  const names = new Set<string>();
  const nodes: LabNode[] = entries.map((node) => {
    const nodeName = node.name;
    if (names.has(nodeName)) issues.push(source.issue(node.nameAt, `makes node "${nodeName}" twice; node names must differ`, { key: true }));
    else if (!nodeNameSchema.safeParse(nodeName).success) issues.push(source.issue(node.nameAt, `makes node "${nodeName}": expected a node name, a lowercase letter, then up to 14 lowercase letters, digits or "-"`));
    names.add(nodeName);
    const { address, prefixLength } = parseCidr(node.nic.address);
    const at = node.at;
    if (!inSubnet(address, subnet.address, subnet.prefixLength)) {
      issues.push(source.issue(at, `expected an address inside the underlay subnet ${doc.underlay.subnet}, got ${node.nic.address}`));
    }
    const role = reservedAddressRole(address, subnet.address, subnet.prefixLength);
    if (role) issues.push(source.issue(at, `expected a host address of the underlay subnet ${doc.underlay.subnet}, got ${node.nic.address}, its ${role} address`));
    const other = seen.get(address);
    if (other) issues.push(source.issue(at, `repeats ${address}, already the address of ${other}`));
    seen.set(address, nodeName);
    return {
      name: nodeName,
      nic: { name: node.nic.name, address, prefixLength, mtu: node.nic.mtu, ...(node.nic.mac ? { mac: node.nic.mac } : {}) },
      macs: { ...node.macs },
    };
  });
  if (issues.length > 0) throw new ValidationError(issues.sort(byPosition));
  return {
    name,
    file: source.file,
    title: doc.title,
    source: doc.source,
    diagram: doc.diagram,
    subnet: { network: subnet.address, prefixLength: subnet.prefixLength },
    nodes,
  };
}

// ---------------------------------------------------------------- scenarios

/** Where a scenario named on the command line lives: a name in scenarios/ or a path to a YAML file. */
export function scenarioPath(nameOrPath: string, scenariosDir = SCENARIOS_DIR): string {
  const looksLikePath = nameOrPath.includes('/') || ['.yaml', '.yml'].includes(extname(nameOrPath));
  return looksLikePath ? resolvePath(nameOrPath) : join(scenariosDir, `${nameOrPath}.yaml`);
}

export async function listScenarioNames(scenariosDir = SCENARIOS_DIR): Promise<string[]> {
  const entries = await readdir(scenariosDir);
  return entries.filter((e) => e.endsWith('.yaml')).map((e) => e.slice(0, -'.yaml'.length)).sort();
}

export interface LoadOptions {
  labsDir?: string;
  scenariosDir?: string;
  /** `--backend ssh`: each node is a real host, and commands stay within what the steps create there (policy/host-scope.ts). */
  onHosts?: boolean;
}

export async function loadScenario(nameOrPath: string, options: LoadOptions = {}): Promise<Scenario> {
  const file = scenarioPath(nameOrPath, options.scenariosDir);
  return scenarioFromSource(await readSource(file), basename(file).replace(/\.ya?ml$/, ''), options);
}

/** Validates and resolves scenario text as if it were read from `file` (which need not exist). */
export async function parseScenarioText(file: string, text: string, options: LoadOptions = {}): Promise<Scenario> {
  const parsed = parseYaml(displayPath(file), text);
  if (Array.isArray(parsed)) throw new ValidationError(parsed);
  return scenarioFromSource(parsed, basename(file).replace(/\.ya?ml$/, ''), options);
}

async function scenarioFromSource(source: YamlSource, name: string, options: LoadOptions): Promise<Scenario> {
  const doc = validate(scenarioFileSchema, source, (issues) => checkRawCommands(source, issues));
  let lab: Lab;
  try {
    lab = await loadLab(doc.lab, options);
  } catch (error) {
    if (error instanceof ValidationError && error.issues.length === 1 && error.issues[0]!.message === 'does not exist') {
      const known = await readdir(options.labsDir ?? LABS_DIR).catch(() => [] as string[]);
      const names = known.filter((k) => k.endsWith('.yaml')).map((k) => k.slice(0, -5)).sort();
      throw new ValidationError([source.issue(['lab'], `names lab "${doc.lab}", which does not exist; known labs are ${names.join(', ')}`)]);
    }
    throw error;
  }
  return resolveScenario(name, source, doc, lab, options);
}

/** Where each command was typed, to place a problem found after the whole scenario is read. */
const commandAt = new WeakMap<Command, (index: number, message: string) => ValidationIssue>();

/**
 * Problems of the steps' and the checks' commands on real hosts, each at the word at fault (a
 * check's own command at its field). The scope is ordered: a command sees the devices the commands
 * before it on its node created, the checks what the steps left.
 */
function hostScopeIssues(source: YamlSource, scenario: Pick<Scenario, 'lab' | 'steps' | 'checks'>, checkPaths: ReadonlyMap<number, PathSegment[]>): ValidationIssue[] {
  const changes = nodeChanges(scenario);
  const scopes = new Map<string, HostScope>(scenario.lab.nodes.map((n) => [n.name, startScope(n.nic.name, { planned: plannedOf(changes.get(n.name)) })]));
  const issues: ValidationIssue[] = [];
  const check = (node: string, argv: readonly string[], place: (index: number, message: string) => ValidationIssue | undefined) => {
    const scope = scopes.get(node);
    if (!scope) return;
    const problem = checkArgvOnHost(argv, scope);
    if (!problem) scopes.set(node, scopeAfter(argv, scope));
    const issue = problem && place(problem.index, `${problem.message} (--backend ssh)`);
    if (issue) issues.push(issue);
  };
  for (const step of scenario.steps) for (const command of step.commands) check(step.node, command.argv, (i, m) => commandAt.get(command)?.(i, m));
  for (const c of scenario.checks) {
    for (const { node, argv, command, field } of checkCommands(c)) {
      const at = checkPaths.get(c.index);
      check(node, argv, (i, m) => (command ? commandAt.get(command)?.(i, m) : at ? source.issue([...at, ...field], `runs \`${argv.join(' ')}\`, which ${m.replace(/^(reads|changes|names) /, '$1 ')}`) : undefined));
    }
  }
  return issues;
}

/**
 * Reads one command through the policy. A command expanded from a template passes `expansion`:
 * problems then point at the template's own text, and say for which node they arose.
 */
function parseCommand(
  source: YamlSource, path: PathSegment[], text: string, issues: ValidationIssue[],
  expansion?: { rawOffset: (i: number) => number; context: string },
): Command | undefined {
  const raw = (i: number) => (expansion ? expansion.rawOffset(i) : i);
  const suffix = expansion ? ` (${expansion.context}: \`${text}\`)` : '';
  const origin = expansion ? `${formatPath(path)} (${expansion.context})` : formatPath(path);
  try {
    const tokens = tokenize(text);
    const argv = tokens.map((t) => t.value);
    const problem = checkArgv(argv);
    if (problem) {
      const at = source.locateInString(path, raw(tokens[problem.index]?.start ?? 0));
      issues.push({ file: source.file, ...at, path: formatPath(path), message: problem.message + suffix });
      return undefined;
    }
    const command: Command = { text: text.replace(/\\\r?\n\s*/g, '').replace(/\s+/g, ' ').trim(), argv, origin };
    commandAt.set(command, (index, message) => ({ file: source.file, ...source.locateInString(path, raw(tokens[index]?.start ?? 0)), path: formatPath(path), message: message + suffix }));
    return command;
  } catch (error) {
    if (!(error instanceof CommandSyntaxError)) throw error;
    issues.push({ file: source.file, ...source.locateInString(path, raw(error.index)), path: formatPath(path), message: error.message + suffix });
    return undefined;
  }
}

/** The values templates read of each lab node. */
function templateNodes(lab: Lab): TemplateNode[] {
  return lab.nodes.map((n, index) => ({ name: n.name, index, address: n.nic.address, nic: n.nic.name, mtu: n.nic.mtu }));
}

/**
 * A step's command on one node: a plain command as it is, a template expanded for the node, and a
 * template that reads `peer` once for every other node. Only the first problem of a template is
 * reported (it would repeat for every node).
 */
function stepCommands(source: YamlSource, path: PathSegment[], text: string, node: TemplateNode, all: TemplateNode[], issues: ValidationIssue[]): Command[] | undefined {
  if (!hasTemplate(text)) {
    const command = parseCommand(source, path, text, issues);
    return command ? [command] : undefined;
  }
  let template: Template;
  try {
    template = parseTemplate(text);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    issues.push({ file: source.file, ...source.locateInString(path, error.index), path: formatPath(path), message: error.message });
    return undefined;
  }
  const peers = template.variables.has('peer') ? all.filter((p) => p.name !== node.name) : [undefined];
  const commands: Command[] = [];
  for (const peer of peers) {
    const expanded = expandTemplate(template, { node, ...(peer ? { peer } : {}) });
    const context = peer ? `on ${node.name}, for peer ${peer.name}` : `on ${node.name}`;
    const command = parseCommand(source, path, expanded.text, issues, { rawOffset: expanded.rawOffset, context });
    if (!command) return undefined;
    commands.push(command);
  }
  return commands;
}

/** An issue repeated for every node a template expands for is said once. */
function distinct(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.file}:${i.line}:${i.col}:${i.path}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const PEER = /\{\{\s*peer\./;
const mentionsPeer = (value: unknown): boolean =>
  typeof value === 'string' ? PEER.test(value) : Array.isArray(value) ? value.some(mentionsPeer) : value !== null && typeof value === 'object' ? Object.values(value).some(mentionsPeer) : false;

/**
 * Expands the templates in a check's strings with `vars`. A list item that reads `peer` is
 * repeated once per peer (every node but vars.node); elsewhere `peer` has no value.
 */
function expandStrings<T>(source: YamlSource, value: T, path: PathSegment[], vars: { node?: TemplateNode; peer?: TemplateNode }, all: TemplateNode[], issues: ValidationIssue[]): T {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return value;
    try {
      return expandTemplate(parseTemplate(value), vars).text as T;
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      issues.push({ file: source.file, ...source.locateInString(path, error.index), path: formatPath(path), message: error.message });
      return value;
    }
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, k) => {
      if (!vars.peer && vars.node && mentionsPeer(item)) {
        return all.filter((p) => p.name !== vars.node!.name).map((peer) => expandStrings(source, item, [...path, k], { ...vars, peer }, all, issues));
      }
      return [expandStrings(source, item, [...path, k], vars, all, issues)];
    }) as T;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandStrings(source, v, [...path, k], vars, all, issues)])) as T;
  }
  return value;
}

/**
 * A check as written, made into the checks it stands for: one per node with `forEach: node`, and
 * a ping whose target reads `peer` becomes one check of pings to every other node.
 */
function expandCheck(source: YamlSource, raw: CheckSpec, at: PathSegment[], all: TemplateNode[], issues: ValidationIssue[]): { check: CheckSpec; at: PathSegment[]; pings?: PingSpec[] }[] {
  const { forEach, ...check } = raw;
  // `node` is the node the check ranges over, or else the check's own node.
  const ownNode = check.ping?.from ?? check.state?.node ?? check.capture?.node;
  const nodes = forEach ? all : [all.find((n) => n.name === ownNode)];
  if (!forEach && !mentionsPeer(check) && !JSON.stringify(check).includes('{{')) return [{ check, at }];
  return nodes.map((node) => {
    const vars = node ? { node } : {};
    if (check.ping && mentionsPeer(check.ping)) {
      const { ping, ...rest } = check;
      const base = expandStrings(source, rest, at, vars, all, issues);
      const from = expandStrings(source, ping.from, [...at, 'ping', 'from'], vars, all, issues);
      const self = all.find((n) => n.name === from);
      const pings = all
        .filter((peer) => peer.name !== from)
        .map((peer) => expandStrings(source, { ...ping, from }, [...at, 'ping'], { ...(self ? { node: self } : vars), peer }, all, issues));
      return { check: { ...base, ping: { ...ping, from } }, at, pings };
    }
    return { check: expandStrings(source, check, at, vars, all, issues), at };
  });
}

function defaultCheckName(check: CheckSpec, table: StateTable | undefined): string {
  if (check.ping) {
    const p = check.ping;
    const from = p.netns ? `${p.from} (${p.netns})` : p.from;
    return `${from} ${p.expect === 'reachable' ? 'reaches' : 'cannot reach'} ${p.to}`;
  }
  if (check.capture) return `on ${check.capture.node} ${check.capture.interface}: ${check.capture.expect.map((e) => e.that).join('; ')}`;
  const s = check.state!;
  return `${s.node}${s.netns ? ` (${s.netns})` : ''} ${table} table as expected`;
}

function resolveScenario(name: string, source: YamlSource, doc: ScenarioFile, baseLab: Lab, options: LoadOptions): Scenario {
  const issues: ValidationIssue[] = [];
  const nodeNames = baseLab.nodes.map((n) => n.name);
  const requireNode = (node: string, path: PathSegment[]) => {
    if (!nodeNames.includes(node)) {
      issues.push(source.issue(path, `names node "${node}", which lab ${baseLab.name} does not have; its nodes are ${nodeNames.join(', ')}`));
    }
  };

  // The scenario's own MAC pins extend the lab's, for this scenario only.
  for (const nodeName of Object.keys(doc.nodes ?? {})) requireNode(nodeName, ['nodes', nodeName]);
  const lab: Lab = {
    ...baseLab,
    nodes: baseLab.nodes.map((n) => ({ ...n, macs: { ...n.macs, ...doc.nodes?.[n.name]?.macs } })),
  };

  const everyNode = templateNodes(lab);
  const steps: Step[] = [];
  const failedTemplates = new Set<string>();
  doc.steps.forEach((step, index) => {
    if ((step.node === undefined) === (step.forEach === undefined)) {
      issues.push(source.issue(['steps', index], 'expected exactly one of node (a node name) and forEach: node (every node)'));
      return;
    }
    if (step.node !== undefined) requireNode(step.node, ['steps', index, 'node']);
    const onNodes = step.forEach ? everyNode : everyNode.filter((n) => n.name === step.node);
    for (const node of onNodes) {
      const commands = step.run.flatMap((text, j) => {
        const key = `${index}/${j}`;
        if (failedTemplates.has(key)) return [];
        const before = issues.length;
        const out = stepCommands(source, ['steps', index, 'run', j], text, node, everyNode, issues);
        if (issues.length > before && hasTemplate(text)) failedTemplates.add(key);
        return out ?? [];
      });
      steps.push({ index: steps.length, node: node.name, commands, timeoutMs: (step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_MS / 1000) * 1000, ...(step.forEach ? { group: index } : {}) });
    }
  });

  for (const [nodeName, extra] of Object.entries(doc.nodes ?? {})) {
    const created = new Set(steps.filter((s) => s.node === nodeName).flatMap((s) => s.commands.flatMap((c) => commandFacts(c.argv).createdInterfaces)));
    for (const ifname of Object.keys(extra.macs)) {
      if (!created.has(ifname)) {
        issues.push(source.issue(['nodes', nodeName, 'macs', ifname], `pins a MAC on ${ifname}, but no step on ${nodeName} creates it with \`ip link add\``, { key: true }));
      }
    }
  }

  const checks: Check[] = [];
  const checkPaths = new Map<number, PathSegment[]>();
  const expanded = doc.checks.flatMap((raw, docIndex) => expandCheck(source, raw, ['checks', docIndex], everyNode, issues));
  expanded.forEach(({ check, at, pings }) => {
    const index = checks.length;
    checkPaths.set(index, at);
    if (pings) {
      pings.forEach((p, k) => {
        requireNode(p.from, [...at, 'ping', 'from']);
        if (!ipv4.safeParse(p.to).success) issues.push(source.issue([...at, 'ping', 'to'], `expected an IPv4 address for peer ${k < pings.length ? everyNode.filter((n) => n.name !== p.from)[k]?.name : ''}, got ${p.to}`));
      });
      const first = pings[0];
      if (!first) {
        issues.push(source.issue([...at, 'ping', 'to'], `names {{ peer.* }}, but ${check.ping?.from} has no peer in lab ${baseLab.name}`));
        return;
      }
      const name = check.name ?? `${first.netns ? `${first.from} (${first.netns})` : first.from} ${first.expect === 'reachable' ? 'reaches' : 'cannot reach'} every other node (${pings.length})`;
      checks.push({ index, kind: 'pings', name, specs: pings });
      return;
    }
    if (check.ping && !ipv4.safeParse(check.ping.to).success) issues.push(source.issue([...at, 'ping', 'to'], `expected an IPv4 address such as 10.20.1.3, got ${check.ping.to}`));
    const kinds = (['ping', 'capture', 'state'] as const).filter((k) => check[k] !== undefined);
    if (kinds.length !== 1) {
      issues.push(source.issue(at, `expected exactly one of ping, capture, state; got ${kinds.length ? kinds.join(', ') : 'none'}`));
      return;
    }
    if (check.ping) {
      requireNode(check.ping.from, [...at, 'ping', 'from']);
      checks.push({ index, kind: 'ping', name: check.name ?? defaultCheckName(check, undefined), spec: check.ping });
    } else if (check.capture) {
      const capture = check.capture;
      requireNode(capture.node, [...at, 'capture', 'node']);
      const filter = capture.filter === undefined ? undefined : filterProblem(capture.filter);
      if (filter) {
        const path: PathSegment[] = [...at, 'capture', 'filter'];
        issues.push({ file: source.file, ...source.locateInString(path, filter.offset), path: formatPath(path), message: filter.message });
      }
      capture.expect.forEach((e, k) => {
        const countAt: PathSegment[] = [...at, 'capture', 'expect', k, 'count'];
        if (typeof e.count === 'object' && e.count.min !== undefined && e.count.max !== undefined && e.count.min > e.count.max) {
          issues.push(source.issue(countAt, `expected min <= max, got min ${e.count.min} and max ${e.count.max}`));
        }
        if (typeof e.count === 'object' && e.count.max === undefined && (e.count.min ?? 0) === 0) {
          issues.push(source.issue(countAt, 'expected a count that some number of packets breaks (min: 1 or more, or a max); this one holds for any number, so it can never fail'));
        }
        if (matchesEverything(e.match)) {
          issues.push(source.issue([...at, 'capture', 'expect', k, 'match'], 'expected a match naming at least one field (such as vxlan: { vni: 42 }); an empty one matches every packet'));
        }
      });
      // A capture that saw nothing passes every "none of these": one expectation must need the action's packets.
      if (capture.expect.every((e) => minimumOf(e.count) === 0)) {
        issues.push(source.issue([...at, 'capture', 'expect'], 'expected a witness: an expectation with count 1 or more (or min: 1) on the action\'s own packets; every expectation here holds on an empty capture, so a broken lab or a capture that saw nothing would pass'));
      }
      const during: Action[] = [];
      capture.during.forEach((action, k) => {
        const actionAt: PathSegment[] = [...at, 'capture', 'during', k];
        if ((action.ping === undefined) === (action.run === undefined)) {
          issues.push(source.issue(actionAt, 'expected exactly one of ping, run'));
        } else if (action.ping) {
          requireNode(action.ping.from, [...actionAt, 'ping', 'from']);
          during.push({ kind: 'ping', spec: action.ping });
        } else if (action.run) {
          requireNode(action.run.node, [...actionAt, 'run', 'node']);
          const commands = action.run.commands
            .map((text, j) => parseCommand(source, [...actionAt, 'run', 'commands', j], text, issues))
            .filter((c): c is Command => c !== undefined);
          during.push({ kind: 'run', node: action.run.node, commands });
        }
      });
      const { during: _during, ...spec } = capture;
      checks.push({ index, kind: 'capture', name: check.name ?? defaultCheckName(check, undefined), spec, during, vxlanPorts: [] });
    } else if (check.state) {
      const state = check.state;
      requireNode(state.node, [...at, 'state', 'node']);
      const tables = STATE_TABLES.filter((t) => state[t] !== undefined);
      if (tables.length !== 1) {
        issues.push(source.issue([...at, 'state'], `expected exactly one table of ${STATE_TABLES.join(', ')}; got ${tables.length ? tables.join(', ') : 'none'}`));
        return;
      }
      const table = tables[0]!;
      const expectation = state[table]!;
      if (!expectation.contains && !expectation.lacks && !expectation.only) {
        issues.push(source.issue([...at, 'state', table], 'expected at least one of contains, lacks, only'));
      }
      for (const list of ['contains', 'lacks', 'only'] as const) {
        if (expectation[list]?.length === 0) issues.push(source.issue([...at, 'state', table, list], `expected at least one entry in ${list}`));
      }
      // An empty table, or one read from a device that is gone, lacks everything and holds only what it is told.
      for (const list of ['lacks', 'only'] as const) {
        if (expectation[list] && !expectation.contains?.length) {
          issues.push(source.issue([...at, 'state', table, list], `expected a contains beside ${list}: an entry that must be there proves the table was read and holds what the ${list} is about (an empty table or a missing device would pass ${list} alone)`, { key: true }));
        }
      }
      // Tutorial lines become mappings here, so checks only ever see mappings.
      const resolveList = (list: 'contains' | 'lacks' | 'only'): Expectation[] | undefined =>
        expectation[list]?.map((entry, k) => {
          if (typeof entry !== 'string') return entry as Expectation;
          try {
            return parseTextEntry(table, entry);
          } catch (error) {
            if (!(error instanceof TextEntryError)) throw error;
            issues.push(source.issue([...at, 'state', table, list, k], error.message));
            return {};
          }
        });
      const expect: TableExpectation = {};
      if (expectation.dev) expect.dev = expectation.dev;
      for (const list of ['contains', 'lacks', 'only'] as const) {
        const entries = resolveList(list);
        if (entries) expect[list] = entries;
      }
      const probe: StateProbe = { node: state.node, table, expect };
      if (state.netns) probe.netns = state.netns;
      if (state.timeoutSeconds !== undefined) probe.timeoutSeconds = state.timeoutSeconds;
      checks.push({ index, kind: 'state', name: check.name ?? defaultCheckName(check, table), spec: probe });
    }
  });

  for (const check of checks) {
    // `index` counts expanded checks; the path names the check as written.
    const at = checkPaths.get(check.index)!;
    const written = doc.checks[at[1] as number];
    const reason = written?.ablation?.none;
    if (reason !== undefined) check.ablationNone = reason;
    if (written?.forEach) check.template = formatPath(at);
  }

  // Check names are TAP descriptions: two alike would make a report ambiguous.
  const seenNames = new Map<string, number>();
  for (const check of checks) {
    const first = seenNames.get(check.name);
    if (first === undefined) seenNames.set(check.name, check.index);
    else issues.push(source.issue(checkPaths.get(check.index)!, `is named "${check.name}" like ${formatPath(checkPaths.get(first)!)}; give one of them a distinct name${checkPaths.get(first) === checkPaths.get(check.index) ? ' (a check with forEach: node needs {{ node.name }} in its name)' : ''}`));
  }

  if (issues.length === 0 && options.onHosts) issues.push(...hostScopeIssues(source, { lab, steps, checks }, checkPaths));
  if (issues.length > 0) throw new ValidationError(distinct(issues).sort(byPosition));
  // Captures decode VXLAN on the ports the steps' devices use, not on a fixed list.
  const vxlanPorts = vxlanPortsOf({ lab, steps });
  for (const check of checks) if (check.kind === 'capture') check.vxlanPorts = vxlanPorts;
  return { name, file: source.file, title: doc.title, tutorial: doc.tutorial, explain: doc.explain, lab, steps, checks };
}

/** The least number of packets a count allows. */
function minimumOf(count: Count): number {
  return typeof count === 'number' ? count : (count.min ?? 0);
}

/** A match with no field, or only an empty `eth` (every frame has one), holds for every packet. */
function matchesEverything(match: PacketMatch): boolean {
  const keys = Object.entries(match).filter(([, value]) => value !== undefined);
  return keys.every(([key, value]) => key === 'eth' && Object.values(value as object).every((v) => v === undefined));
}
