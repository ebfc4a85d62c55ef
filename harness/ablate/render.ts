// `ablate`'s output: a table of each command (or step) against the checks it is the cause of,
// then each check's verdict; or the same as TAP (one point per check). Pure.
import { stringify } from 'yaml';
import { escapeDescription } from '../report/tap.ts';
import { skippedByOrigin, type AblationAnalysis } from './plan.ts';

const shorten = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

export function renderTable(a: AblationAnalysis): string {
  const lines: string[] = [];
  const unitWord = a.by === 'step' ? 'step' : 'command';
  lines.push(`ablate ${a.scenario}: ${a.ablations.length + 1} runs (as written, then without each ${unitWord} in turn)`);
  lines.push('');
  const idWidth = Math.max(4, ...a.ablations.map((r) => r.unit.id.length));
  const nodeWidth = Math.max(4, ...a.ablations.map((r) => r.unit.node.length));
  lines.push(`${'left out'.padEnd(idWidth + nodeWidth + 2)}  ${'checks that fail without it'.padEnd(28)}  ${unitWord}`);
  for (const r of a.ablations) {
    const flips = r.error ? 'the run broke' : r.flips.length ? r.flips.join(' ') : '-';
    lines.push(`${r.unit.id.padEnd(idWidth)}  ${r.unit.node.padEnd(nodeWidth)}  ${flips.padEnd(28)}  ${shorten(r.unit.text, 100)}`);
    for (const { count, first: s } of skippedByOrigin(r.skipped)) {
      const where = count === 1 ? s.at : `${s.at} and ${count - 1} more copies of it`;
      lines.push(`${''.padEnd(idWidth + nodeWidth + 4)}${''.padEnd(30)}also skipped, it failed: ${where} \`${shorten(s.command, 70)}\` (${shorten(s.output.split('\n')[0] ?? '', 60)})`);
    }
  }
  lines.push('');
  for (const c of a.checks) {
    const verdict = c.ablationNone !== undefined
      ? `depends on no ${unitWord} by design (ablation: none: ${c.ablationNone})${c.causes.length ? `; yet fails without ${c.causes.join(', ')}` : ''}`
      : c.vacuous
        ? `VACUOUS: it passes without any one ${unitWord}, so no ${unitWord} is shown to make it hold`
        : `holds because of ${c.causes.join(', ')}`;
    lines.push(`check ${String(c.number).padStart(2)}  ${shorten(c.name, 90)}`);
    lines.push(`          ${verdict}`);
  }
  for (const p of a.problems) lines.push(`problem: ${p}`);
  const vacuous = a.checks.filter((c) => c.vacuous).length;
  lines.push('');
  lines.push(a.ok ? `ok: every check depends on some ${unitWord}, or says why not` : `not ok: ${vacuous} vacuous check${vacuous === 1 ? '' : 's'}${a.problems.length ? `, ${a.problems.length} problem${a.problems.length === 1 ? '' : 's'}` : ''}`);
  return `${lines.join('\n')}\n`;
}

function yamlBlock(data: Record<string, unknown>): string[] {
  return ['  ---', ...stringify(data, { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`), '  ...'];
}

/** One scenario's TAP body: one point per check (not ok when vacuous), and one for the runs' soundness. */
function tapBody(a: AblationAnalysis): string[] {
  const lines = [`1..${a.checks.length + 1}`, `# ablate ${a.scenario} by ${a.by}`];
  for (const r of a.ablations) lines.push(`# without ${r.unit.id} (${r.unit.node}: ${shorten(r.unit.text.replace(/[\r\n]+/g, ' '), 200)}): ${r.error ? 'the run broke' : r.flips.length ? `checks ${r.flips.join(' ')} fail` : 'no check fails'}${r.skipped.length ? `; also skipped ${skippedByOrigin(r.skipped).map((g) => (g.count === 1 ? g.first.at : `${g.at} (${g.count} copies)`)).join(', ')}` : ''}`);
  for (const c of a.checks) {
    const name = escapeDescription(c.name);
    if (c.ablationNone !== undefined) lines.push(`ok ${c.number} - ${name} # SKIP ablation: none: ${escapeDescription(c.ablationNone)}`);
    else if (c.vacuous) lines.push(`not ok ${c.number} - ${name}`, ...yamlBlock({ message: `vacuous: no ablation by ${a.by} makes it fail` }));
    else lines.push(`ok ${c.number} - ${name} - depends on ${c.causes.join(', ')}`);
  }
  const last = a.checks.length + 1;
  if (a.problems.length) lines.push(`not ok ${last} - the ablation runs are sound`, ...yamlBlock({ problems: a.problems }));
  else lines.push(`ok ${last} - the ablation runs are sound`);
  return lines;
}

/** The start of an ablation's TAP 14 stream of `count` scenarios. */
export const tapHeader = (count: number) => `TAP version 14\n1..${count}\n`;

/** One scenario's ablation as the `number`-th subtest. */
export function tapSubtest(a: AblationAnalysis, number: number): string {
  const lines = [`# Subtest: ${escapeDescription(a.scenario)}`, ...tapBody(a).map((l) => `    ${l}`), `${a.ok ? 'ok' : 'not ok'} ${number} - ${escapeDescription(a.scenario)}`];
  return `${lines.join('\n')}\n`;
}
