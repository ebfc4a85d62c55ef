// JUnit XML, the shape CI services read (GitHub's test reporters, GitLab, Jenkins): one
// `testsuite` per scenario, one `testcase` per check. Both the junit reporter (from run events)
// and `report --junit` (from TAP files) build this model and render it here.

export type CaseResult =
  | { status: 'pass' }
  | { status: 'skip'; message: string }
  /** A check that ran and found something else than expected. */
  | { status: 'fail'; message: string; details: string }
  /** Something that kept checks from running: a broken lab, an interrupted run. */
  | { status: 'error'; message: string; details: string };

export interface JunitCase {
  name: string;
  classname: string;
  timeMs?: number;
  result: CaseResult;
}

export interface JunitSuite {
  name: string;
  timeMs?: number;
  properties: Record<string, string>;
  cases: JunitCase[];
}

/**
 * Text safe in XML 1.0 content and attribute values: the five special characters escaped, and
 * characters XML 1.0 cannot hold at all (most C0 controls, lone surrogates, U+FFFE/FFFF) replaced
 * by U+FFFD, since no escape exists for them.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute values also keep their line breaks and tabs (a parser would normalize them to spaces). */
const attr = (text: string) => escapeXml(text).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
const seconds = (ms: number | undefined) => (ms === undefined ? '' : ` time="${(ms / 1000).toFixed(3)}"`);

function counts(cases: JunitCase[]) {
  const of = (s: CaseResult['status']) => cases.filter((c) => c.result.status === s).length;
  return { tests: cases.length, failures: of('fail'), errors: of('error'), skipped: of('skip') };
}

const countAttrs = (c: ReturnType<typeof counts>) => `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}"`;

function renderCase(c: JunitCase): string[] {
  const open = `    <testcase name="${attr(c.name)}" classname="${attr(c.classname)}"${seconds(c.timeMs)}`;
  const r = c.result;
  switch (r.status) {
    case 'pass':
      return [`${open}/>`];
    case 'skip':
      return [`${open}>`, `      <skipped message="${attr(r.message)}"/>`, '    </testcase>'];
    case 'fail':
    case 'error': {
      const tag = r.status === 'fail' ? 'failure' : 'error';
      return [`${open}>`, `      <${tag} message="${attr(r.message)}" type="${tag}">${escapeXml(r.details)}</${tag}>`, '    </testcase>'];
    }
  }
}

export function renderJunit(suites: JunitSuite[], name = 'vxlab'): string {
  const all = counts(suites.flatMap((s) => s.cases));
  const totalMs = suites.every((s) => s.timeMs !== undefined) && suites.length > 0 ? suites.reduce((sum, s) => sum + (s.timeMs ?? 0), 0) : undefined;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${attr(name)}" ${countAttrs(all)}${seconds(totalMs)}>`];
  for (const suite of suites) {
    lines.push(`  <testsuite name="${attr(suite.name)}" ${countAttrs(counts(suite.cases))}${seconds(suite.timeMs)}>`);
    const props = Object.entries(suite.properties);
    if (props.length > 0) {
      lines.push('    <properties>', ...props.map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`), '    </properties>');
    }
    for (const c of suite.cases) lines.push(...renderCase(c));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
