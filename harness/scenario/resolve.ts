// Loads scenario and lab files: raw YAML -> validated document -> resolved, typed model.
// Every problem is collected with its position; an invalid file yields a ValidationError.
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as z from 'zod';
import { ValidationError, type ValidationIssue } from '../util/errors.ts';
import { readRegularFile, UnreadableFileError } from '../util/read-regular-file.ts';
import { DEFAULT_STEP_TIMEOUT_MS, type Action, type Check, type Command, type Expectation, type Lab, type LabNode, type Scenario, type StateProbe, type Step, type TableExpectation } from '../lab/model.ts';
import { inSubnet, parseCidr, reservedAddressRole } from '../lab/ipv4.ts';
import { CommandSyntaxError, tokenize } from '../policy/command-line.ts';
import { checkArgv, commandFacts, filterProblem } from '../policy/policy.ts';
import {
  labFileSchema, scenarioFileSchema, STATE_TABLES,
  type CheckSpec, type LabFile, type ScenarioFile, type StateTable,
} from './schema.ts';
import { parseTextEntry, TextEntryError } from './text-entries.ts';
import { formatPath, parseYaml, type PathSegment, type YamlSource } from './yaml-source.ts';
import { zodIssuesToValidation } from './zod-issues.ts';

export const PROJECT_ROOT = resolvePath(dirname(fileURLToPath(import.meta.url)), '..', '..');
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
      if (typeof text === 'string') parseCommand(source, ['steps', i, 'run', j], text, issues);
    });
  });
}

// ---------------------------------------------------------------- labs

export async function loadLab(name: string, options: { labsDir?: string } = {}): Promise<Lab> {
  const file = join(options.labsDir ?? LABS_DIR, `${name}.yaml`);
  const source = await readSource(file);
  return resolveLab(name, source, validate(labFileSchema, source));
}

function resolveLab(name: string, source: YamlSource, doc: LabFile): Lab {
  const issues: ValidationIssue[] = [];
  const subnet = parseCidr(doc.underlay.subnet);
  const seen = new Map<string, string>();
  const nodes: LabNode[] = Object.entries(doc.nodes).map(([nodeName, node]) => {
    const { address, prefixLength } = parseCidr(node.nic.address);
    const at: PathSegment[] = ['nodes', nodeName, 'nic', 'address'];
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
  if (issues.length > 0) throw new ValidationError(issues);
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
  return resolveScenario(name, source, doc, lab);
}

function parseCommand(source: YamlSource, path: PathSegment[], text: string, issues: ValidationIssue[]): Command | undefined {
  try {
    const tokens = tokenize(text);
    const argv = tokens.map((t) => t.value);
    const problem = checkArgv(argv);
    if (problem) {
      const at = source.locateInString(path, tokens[problem.index]?.start ?? 0);
      issues.push({ file: source.file, ...at, path: formatPath(path), message: problem.message });
      return undefined;
    }
    return { text: text.replace(/\\\r?\n\s*/g, '').replace(/\s+/g, ' ').trim(), argv, origin: formatPath(path) };
  } catch (error) {
    if (!(error instanceof CommandSyntaxError)) throw error;
    issues.push({ file: source.file, ...source.locateInString(path, error.index), path: formatPath(path), message: error.message });
    return undefined;
  }
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

function resolveScenario(name: string, source: YamlSource, doc: ScenarioFile, baseLab: Lab): Scenario {
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

  const steps: Step[] = doc.steps.map((step, index) => {
    requireNode(step.node, ['steps', index, 'node']);
    const commands = step.run
      .map((text, j) => parseCommand(source, ['steps', index, 'run', j], text, issues))
      .filter((c): c is Command => c !== undefined);
    return { index, node: step.node, commands, timeoutMs: (step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_MS / 1000) * 1000 };
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
  doc.checks.forEach((check, index) => {
    const at: PathSegment[] = ['checks', index];
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
        if (typeof e.count === 'object' && e.count.min !== undefined && e.count.max !== undefined && e.count.min > e.count.max) {
          issues.push(source.issue([...at, 'capture', 'expect', k, 'count'], `expected min <= max, got min ${e.count.min} and max ${e.count.max}`));
        }
      });
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
      checks.push({ index, kind: 'capture', name: check.name ?? defaultCheckName(check, undefined), spec, during });
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
    const reason = doc.checks[check.index]?.ablation?.none;
    if (reason !== undefined) check.ablationNone = reason;
  }

  // Check names are TAP descriptions: two alike would make a report ambiguous.
  const seenNames = new Map<string, number>();
  for (const check of checks) {
    const first = seenNames.get(check.name);
    if (first === undefined) seenNames.set(check.name, check.index);
    else issues.push(source.issue(['checks', check.index], `is named "${check.name}" like checks[${first}]; give one of them a distinct name`));
  }

  if (issues.length > 0) throw new ValidationError(issues.sort(byPosition));
  return { name, file: source.file, title: doc.title, tutorial: doc.tutorial, explain: doc.explain, lab, steps, checks };
}
