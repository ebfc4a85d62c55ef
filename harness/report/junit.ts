// The junit reporter: collects the run's events and writes one JUnit XML document when the run
// ends (or bails out, or is skipped). A check's diagnostics go into its `failure` as YAML, as in
// TAP; a broken lab is an `error` case ("the lab builds") and the checks it kept from running
// are `skipped`; an interrupt is an `error` case in the scenario it cut short, or in its own suite.
import { stringify } from 'yaml';
import type { EventSink, RunEvent } from './events.ts';
import { renderJunit, type JunitCase, type JunitSuite } from './junit-xml.ts';

const yaml = (data: Record<string, unknown>) => (Object.keys(data).length > 0 ? stringify(data, { lineWidth: 0 }) : '');

export function createJunitWriter(write: (text: string) => void): EventSink {
  const suites: JunitSuite[] = [];
  let current: JunitSuite | undefined;
  let properties: Record<string, string> = {};
  let done = false;
  const classname = (scenario: string) => `vxlab.${properties.backend ?? 'run'}.${scenario}`;
  const flush = () => {
    if (done) return;
    done = true;
    write(renderJunit(suites));
  };

  return (event: RunEvent) => {
    switch (event.type) {
      case 'run-start':
        properties = { backend: event.backend, runId: event.runId };
        break;
      case 'skip-all':
        suites.push({ name: 'vxlab', properties, cases: [{ name: 'the run', classname: 'vxlab', result: { status: 'skip', message: event.reason } }] });
        flush();
        break;
      case 'scenario-start':
        current = { name: event.scenario.name, properties: { ...properties, title: event.scenario.title, tutorial: event.scenario.tutorial }, cases: [] };
        suites.push(current);
        break;
      case 'check': {
        const { status, reason, diagnostics } = event.outcome;
        const base = { name: event.name, classname: classname(event.scenario), timeMs: event.durationMs };
        let c: JunitCase;
        if (status === 'pass') c = { ...base, result: { status: 'pass' } };
        else if (status === 'skip') c = { ...base, result: { status: 'skip', message: reason ?? '' } };
        else c = { ...base, result: { status: 'fail', message: reason ?? 'the check failed', details: yaml({ ...(reason ? { message: reason } : {}), ...diagnostics }) } };
        current?.cases.push(c);
        break;
      }
      case 'lab-error': {
        const { message } = event.error;
        current?.cases.push({ name: 'the lab builds', classname: classname(event.scenario), result: { status: 'error', message, details: yaml({ ...event.error }) } });
        for (const check of event.checksNotRun) {
          current?.cases.push({ name: check, classname: classname(event.scenario), result: { status: 'skip', message: 'the lab did not build' } });
        }
        break;
      }
      case 'scenario-end':
        if (current && event.interrupted !== undefined) current.cases.push({ name: 'the run completes', classname: classname(event.scenario), result: { status: 'error', message: `interrupted ${event.interrupted}`, details: `the run was interrupted ${event.interrupted}\n` } });
        if (current) current.timeMs = event.durationMs;
        current = undefined;
        break;
      case 'bail': {
        const target = suites.at(-1) ?? { name: 'vxlab', properties, cases: [] };
        if (suites.length === 0) suites.push(target);
        target.cases.push({ name: 'the run completes', classname: classname(target.name), result: { status: 'error', message: event.reason, details: `Bail out! ${event.reason}\n` } });
        flush();
        break;
      }
      case 'run-end':
        flush();
        break;
      default:
        break;
    }
  };
}
