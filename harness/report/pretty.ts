// The readable view: the tutorial's commands as they run, then each check with its evidence.
import { stringify } from 'yaml';
import type { EventSink, RunEvent } from './events.ts';

export interface PrettyOptions {
  color: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
type Style = keyof typeof CODES;

const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);

export function createPrettyWriter(write: (text: string) => void, options: PrettyOptions): EventSink {
  const paint = (style: Style, text: string) => (options.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text);
  const line = (text = '') => write(`${text}\n`);
  const block = (data: Record<string, unknown>, indent: string) => {
    for (const l of stringify(data, { lineWidth: 0 }).trimEnd().split('\n')) line(`${indent}${l}`);
  };

  return (event: RunEvent) => {
    switch (event.type) {
      case 'run-start':
        line(paint('dim', `vxlab · ${event.backend} backend · run ${event.runId} · ${event.scenarios.length} scenario${event.scenarios.length === 1 ? '' : 's'}`));
        break;
      case 'skip-all':
        line(`${paint('yellow', 'SKIP')} ${event.reason}`);
        break;
      case 'scenario-start':
        line();
        line(`${paint('bold', event.scenario.name)} — ${event.scenario.title}`);
        line(paint('dim', `  ${event.scenario.tutorial} · lab ${event.lab}`));
        for (const l of event.explain.trimEnd().split('\n')) line(`  ${l}`);
        line();
        for (const l of event.diagram.trimEnd().split('\n')) line(paint('dim', `    ${l}`));
        break;
      case 'waiting':
        line(paint('dim', `  ${event.reason}`));
        break;
      case 'lab-up':
        line(paint('dim', `  lab up in ${ms(event.durationMs)}`));
        break;
      case 'step':
        for (const c of event.commands) line(`  ${paint('blue', `${event.node} #`)} ${c.text}${c.addedBy ? paint('dim', `   (added by vxlab to ${c.addedBy})`) : ''}`);
        break;
      case 'check': {
        const { status, reason, diagnostics } = event.outcome;
        const mark = status === 'pass' ? paint('green', '✓') : status === 'skip' ? paint('yellow', '-') : paint('red', '✗');
        line(`  ${mark} ${event.name} ${paint('dim', ms(event.durationMs))}${status === 'skip' ? paint('yellow', ` (skipped: ${reason})`) : ''}`);
        if (status === 'fail') block({ ...(reason ? { why: reason } : {}), ...diagnostics }, '      ');
        break;
      }
      case 'lab-error':
        line(`  ${paint('red', '✗ the lab did not build')}`);
        block({ ...event.error }, '      ');
        if (event.checksNotRun.length > 0) line(paint('yellow', `  ${event.checksNotRun.length} check(s) not run`));
        break;
      case 'kept':
        line(paint('yellow', '  the lab is kept up; open a shell in a node with:'));
        for (const h of event.hints) line(`    ${h}`);
        line(paint('yellow', '  press Ctrl-C to tear it down'));
        break;
      case 'scenario-end': {
        const summary = `${event.passed} passed, ${event.failed} failed${event.skipped ? `, ${event.skipped} skipped` : ''}${event.interrupted ? `, interrupted ${event.interrupted}` : ''}`;
        const color = event.failed > 0 || event.broken || event.interrupted ? 'red' : 'green';
        line(`  ${paint(color, summary)} ${paint('dim', `in ${ms(event.durationMs)}`)}`);
        break;
      }
      case 'bail':
        line(paint('red', `Bail out: ${event.reason}`));
        break;
      case 'progress':
        line(paint('dim', `  · ${event.done} of ${event.total} scenarios done${event.running.length > 0 ? `; running: ${event.running.join(', ')}` : ''}`));
        break;
      case 'run-end': {
        line();
        const color = event.failed > 0 || event.broken > 0 ? 'red' : 'green';
        const broken = event.broken ? `, ${event.broken} lab${event.broken === 1 ? '' : 's'} broken` : '';
        line(paint(color, `${event.passed} passed, ${event.failed} failed${event.skipped ? `, ${event.skipped} skipped` : ''}${broken}`) + paint('dim', ` in ${ms(event.durationMs)}`));
        break;
      }
      default:
        break;
    }
  };
}
