// `report`: reads the TAP that vxlab runs wrote (several shards, several backends) and merges it
// into one summary: pass/fail per scenario and backend, then the failures with their diagnostics,
// as text, GitHub-flavoured Markdown, or JUnit XML. Reads text only; never runs a lab.
//
// A TAP file that is not whole (no plan, fewer points than planned, a bail out, lines that are
// not TAP, a subtest without its plan) is an error naming the file and line: a truncated file
// must never read as a pass.
import { Parser, type Result } from 'tap-parser';
import { stringify } from 'yaml';
import type { JunitCase, JunitSuite } from './junit-xml.ts';

export interface TapCheck {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  /** A skip's reason. */
  reason?: string;
  /** A failure's YAML diagnostics. */
  diag?: Record<string, unknown>;
}

export interface TapScenario {
  name: string;
  ok: boolean;
  checks: TapCheck[];
}

export interface TapRun {
  file: string;
  backend: string;
  runId: string;
  scenarios: TapScenario[];
  /** Set for `1..0 # SKIP reason`: nothing ran. */
  skipAll?: string;
}

export interface TapProblem {
  file: string;
  line: number;
  message: string;
}

/** One or more TAP files cannot be trusted; nothing is summarised. */
export class TapFileError extends Error {
  override readonly name = 'TapFileError';
  constructor(readonly problems: TapProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
  }
}

const RUN_COMMENT = /^# vxlab run (\S+) on the (\S+) backend\s*$/;
/** tap-parser's own errors for what the checks below already report with a line. */
const COVERED = new Set(['Non-TAP data encountered in strict mode', 'no plan', 'incorrect number of tests']);

/** Reads one vxlab TAP stream (TAP 13 or 14); throws TapFileError if it is not whole. */
export function parseTapRun(file: string, text: string): Promise<TapRun> {
  return new Promise((resolve, reject) => {
    const lines = text === '' ? [] : text.split(/(?<=\n)/);
    const problems: TapProblem[] = [];
    const problem = (line: number, message: string) => problems.push({ file, line, message });
    const run: TapRun = { file, backend: 'unknown', runId: 'unknown', scenarios: [] };
    let lineNo = 0;
    /** The line that holds `text`, searching back from where the parser is (its events lag a line or two). */
    const lineOf = (needle: string) => {
      const first = needle.split('\n')[0]!;
      for (let i = Math.min(lineNo, lines.length) - 1; i >= 0; i -= 1) if (lines[i]!.replace(/\r?\n$/, '') === first) return i + 1;
      return lineNo;
    };

    const parser = new Parser({ strict: true });
    parser.on('comment', (comment: string) => {
      const m = RUN_COMMENT.exec(comment.trimEnd());
      if (m) [run.runId, run.backend] = [m[1]!, m[2]!];
    });
    parser.on('extra', (extra: string) => {
      const line = lineOf(extra);
      const first = extra.split('\n')[0]!.trim();
      problem(line, first === '---' ? 'a YAML diagnostic block that never ends with `...` (is the file cut short?)' : `not TAP: ${JSON.stringify(first)}`);
    });
    parser.on('bailout', (reason: string) => {
      const i = lines.findIndex((l) => /^\s*Bail out!/.test(l));
      problem(i >= 0 ? i + 1 : lineNo, `Bail out! ${reason}`.trim());
    });
    parser.on('child', (child: Parser) => {
      const scenario: TapScenario = { name: child.name, ok: false, checks: [] };
      run.scenarios.push(scenario);
      child.on('assert', (a: Result) => {
        if (a.skip) scenario.checks.push({ name: a.name, status: 'skip', reason: typeof a.skip === 'string' ? a.skip : '' });
        else if (a.ok) scenario.checks.push({ name: a.name, status: 'pass' });
        else scenario.checks.push({ name: a.name, status: 'fail', ...(a.diag ? { diag: a.diag as Record<string, unknown> } : {}) });
      });
      child.on('complete', (results: { plan: { start: number | null } }) => {
        if (results.plan.start === null) problem(lineNo, `the subtest ${JSON.stringify(child.name)} ends without its plan (is the file cut short?)`);
      });
    });
    parser.on('assert', (a: Result) => {
      // The subtest's parser reports before the point that closes it, so this is the last one.
      const scenario = run.scenarios.at(-1);
      if (scenario?.name === a.name) scenario.ok = a.ok;
      else run.scenarios.push({ name: a.name, ok: a.ok, checks: [] });
    });
    parser.on('complete', (results: { plan: { start: number | null; end: number | null; skipAll: boolean; skipReason: string }; count: number; failures: Result[] }) => {
      const last = lines.length;
      const { plan } = results;
      if (text.trim() === '') problem(1, 'the file is empty: no TAP at all');
      else if (plan.start === null || plan.end === null) problem(last, 'the TAP has no plan (1..N): the run did not finish, or this is not a vxlab TAP file');
      else if (plan.skipAll) run.skipAll = plan.skipReason.replace(/^SKIP\s*/i, '');
      else if (results.count !== plan.end) problem(last, `the plan says ${plan.end} scenarios but the file ends after ${results.count} (is it cut short?)`);
      for (const f of results.failures) {
        if (f.tapError && !COVERED.has(f.tapError)) problem(last, f.tapError);
      }
      // Problems were found in parser order; report them by line.
      problems.sort((a, b) => a.line - b.line);
      if (problems.length > 0) reject(new TapFileError(problems));
      else resolve(run);
    });
    for (const line of lines) {
      lineNo += 1;
      parser.write(line);
    }
    parser.end();
  });
}

export interface Summary {
  runs: TapRun[];
  backends: string[];
  /** Scenario → backend → passed? (false if any file's run of it failed). */
  table: Map<string, Map<string, boolean>>;
  failures: Array<{ run: TapRun; scenario: TapScenario; check: TapCheck }>;
  /** Scenarios that failed at the top level with no failing check (should not happen; shown anyway). */
  failedScenarios: number;
  passedScenarios: number;
}

export function summarise(runs: TapRun[]): Summary {
  const backends = [...new Set(runs.map((r) => r.backend))];
  const table = new Map<string, Map<string, boolean>>();
  const failures: Summary['failures'] = [];
  for (const run of runs) {
    for (const scenario of run.scenarios) {
      const row = table.get(scenario.name) ?? new Map<string, boolean>();
      table.set(scenario.name, row);
      row.set(run.backend, (row.get(run.backend) ?? true) && scenario.ok);
      for (const check of scenario.checks) if (check.status === 'fail') failures.push({ run, scenario, check });
    }
  }
  const results = [...table.values()].flatMap((row) => [...row.values()]);
  return { runs, backends, table: new Map([...table].sort(([a], [b]) => a.localeCompare(b))), failures, passedScenarios: results.filter(Boolean).length, failedScenarios: results.filter((ok) => !ok).length };
}

export const summaryPassed = (s: Summary) => s.failedScenarios === 0;

const diagText = (diag: Record<string, unknown> | undefined) => (diag && Object.keys(diag).length > 0 ? stringify(diag, { lineWidth: 0 }).trimEnd() : '(no diagnostics)');
const headline = (s: Summary) => {
  const skipped = s.runs.filter((r) => r.skipAll !== undefined).length;
  return `${s.passedScenarios} passed, ${s.failedScenarios} failed (scenario runs) from ${s.runs.length} TAP file${s.runs.length === 1 ? '' : 's'}${skipped > 0 ? `, ${skipped} of them skipped` : ''}`;
};

export function renderText(s: Summary): string {
  const out: string[] = [];
  const width = Math.max(8, ...[...s.table.keys()].map((n) => n.length));
  const cols = s.backends.map((b) => Math.max(b.length, 4));
  out.push(`${'scenario'.padEnd(width)}  ${s.backends.map((b, i) => b.padEnd(cols[i]!)).join('  ')}`.trimEnd());
  for (const [name, row] of s.table) {
    out.push(`${name.padEnd(width)}  ${s.backends.map((b, i) => (row.has(b) ? (row.get(b) ? 'pass' : 'FAIL') : '-').padEnd(cols[i]!)).join('  ')}`.trimEnd());
  }
  for (const run of s.runs) if (run.skipAll !== undefined) out.push(`${run.file}: skipped: ${run.skipAll}`);
  if (s.failures.length > 0) {
    out.push('', 'Failures:');
    for (const f of s.failures) {
      out.push('', `${f.scenario.name} on ${f.run.backend} (${f.run.file}, run ${f.run.runId}): not ok - ${f.check.name}`);
      out.push(...diagText(f.check.diag).split('\n').map((l) => `    ${l}`));
    }
  }
  out.push('', headline(s));
  return `${out.join('\n')}\n`;
}

const mdCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
/** A fence longer than any backtick run in the text, so diagnostics cannot close it. */
const fence = (text: string) => '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));

export function renderMarkdown(s: Summary): string {
  // A skipped run (a missing prerequisite, an empty shard) passes, but is not shown as all green.
  const icon = !summaryPassed(s) ? '❌' : s.runs.some((r) => r.skipAll !== undefined) ? '⚠️' : '✅';
  const out: string[] = [`## vxlab: ${icon} ${headline(s)}`, ''];
  if (s.table.size > 0) {
    out.push(`| scenario | ${s.backends.map(mdCell).join(' | ')} |`, `|---|${s.backends.map(() => ':-:').join('|')}|`);
    for (const [name, row] of s.table) out.push(`| \`${mdCell(name)}\` | ${s.backends.map((b) => (row.has(b) ? (row.get(b) ? '✅ pass' : '❌ **fail**') : '–')).join(' | ')} |`);
    out.push('');
  }
  for (const run of s.runs) if (run.skipAll !== undefined) out.push(`- \`${mdCell(run.file)}\`: skipped: ${mdCell(run.skipAll)}`, '');
  if (s.failures.length > 0) {
    out.push('### Failures', '');
    for (const f of s.failures) {
      const diag = diagText(f.check.diag);
      const summary = `${f.scenario.name} on ${f.run.backend}: ${f.check.name}`.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
      out.push('<details>', `<summary>❌ ${summary}</summary>`, '', `From \`${mdCell(f.run.file)}\`, run \`${f.run.runId}\`.`, '', `${fence(diag)}yaml`, diag, fence(diag), '', '</details>', '');
    }
  }
  return `${out.join('\n')}\n`;
}

export function toJunit(s: Summary): JunitSuite[] {
  return s.runs.flatMap((run): JunitSuite[] => {
    if (run.skipAll !== undefined) {
      return [{ name: run.file, properties: { backend: run.backend, file: run.file }, cases: [{ name: 'the run', classname: `vxlab.${run.backend}`, result: { status: 'skip', message: run.skipAll } } satisfies JunitCase] }];
    }
    return run.scenarios.map((scenario) => ({
      name: scenario.name,
      properties: { backend: run.backend, runId: run.runId, file: run.file },
      cases: scenario.checks.map((check): JunitCase => {
        const base = { name: check.name, classname: `vxlab.${run.backend}.${scenario.name}` };
        if (check.status === 'pass') return { ...base, result: { status: 'pass' } };
        if (check.status === 'skip') return { ...base, result: { status: 'skip', message: check.reason ?? '' } };
        const message = typeof check.diag?.message === 'string' ? check.diag.message : 'the check failed';
        const result = check.name === 'the lab builds' ? ('error' as const) : ('fail' as const);
        return { ...base, result: { status: result, message, details: diagText(check.diag) } };
      }),
    }));
  });
}
